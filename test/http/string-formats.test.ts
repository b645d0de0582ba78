import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectErrorEnvelope } from "../helpers/app";
import { type ProspectsSetup, setupProspects } from "../prospects/support";

// Which addresses `format: "email"` lets through, as a client creating prospects sees it. The
// check is registered by the app (src/http/string-formats.ts), not left to whichever library
// imported last.
const accepted = [
  "ava.thompson@northwind.io",
  "o'brien@pub.example.ie",
  "A+tag@Sub.Example.COM",
  "_@x.io",
  "lead-1@1x.io",
  "first.last-name@mail.co.uk",
];
const refused = [
  "not-an-email",
  "a@b.c",
  ".lead@x.io",
  "lead..two@x.io",
  "lead.@x.io",
  "user@localhost",
  "üser@x.io",
  "lead@-x.io",
  "lead two@x.io",
  "lead@x..io",
  "@x.io",
  "lead@x.io ",
];

describe("the email format of request bodies", () => {
  let setup: ProspectsSetup;
  beforeAll(async () => {
    setup = await setupProspects("sqlite");
  });
  afterAll(async () => {
    await setup.database.drop();
  });

  test.each(accepted)("%s is an email", async (email) => {
    const response = await setup.call("POST", "/api/v1/prospects", setup.as.user, { email });
    expect(response.status).toBe(201);
  });

  test.each(refused)("%p is refused with 422 and says why", async (email) => {
    const response = await setup.call("POST", "/api/v1/prospects", setup.as.user, { email });
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ email: ["Invalid email format"] });
  });
});

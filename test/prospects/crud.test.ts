import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { json, type ProspectsSetup, setupProspects } from "./support";

interface Prospect {
  id: string;
  email: string;
  ownerId: string | null;
  createdAt: string;
  updatedAt: string;
  [field: string]: unknown;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const statuses = "new, contacted, qualified, proposal, won, lost";

/** Bodies that break one field rule each, and what the 422 says about them. */
const invalidFields: [string, Record<string, unknown>, Record<string, string[]>][] = [
  ["an email that is not one", { email: "not-an-email" }, { email: ["Invalid email format"] }],
  [
    "an email over 254 characters",
    { email: `${"a".repeat(250)}@x.io` },
    { email: ["Email must be at most 254 characters"] },
  ],
  ["an empty first name", { firstName: "" }, { firstName: ["First name must not be empty"] }],
  [
    "a last name over 100 characters",
    { lastName: "x".repeat(101) },
    { lastName: ["Last name must be at most 100 characters"] },
  ],
  ["a company that is not text", { company: 42 }, { company: ["Company must be a string"] }],
  ["a title over 200 characters", { title: "x".repeat(201) }, { title: ["Title must be at most 200 characters"] }],
  [
    "a phone with letters",
    { phone: "call me maybe" },
    { phone: ["Phone must be a phone number such as +1 555 010 2030: digits, spaces and + ( ) - . only"] },
  ],
  [
    "a LinkedIn URL elsewhere",
    { linkedinUrl: "https://example.com/in/jane" },
    { linkedinUrl: ["LinkedIn URL must be a linkedin.com address such as https://www.linkedin.com/in/jane-doe"] },
  ],
  ["an unknown status", { status: "closed" }, { status: [`Status must be one of: ${statuses}`] }],
  ["a score over 100", { score: 101 }, { score: ["Score must be between 0 and 100"] }],
  ["a negative score", { score: -1 }, { score: ["Score must be between 0 and 100"] }],
  ["a fractional score", { score: 50.5 }, { score: ["Score must be a whole number"] }],
  ["tags that are not a list", { tags: "vip" }, { tags: ["Tags must be a list"] }],
  ["21 tags", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, { tags: ["Tags must have at most 20 items"] }],
  ["an empty tag", { tags: ["ok", ""] }, { "tags.1": ["Tags item 2 must not be empty"] }],
  ["a tag over 40 characters", { tags: ["x".repeat(41)] }, { "tags.0": ["Tags item 1 must be at most 40 characters"] }],
  [
    "notes over 10,000 characters",
    { notes: "x".repeat(10_001) },
    { notes: ["Notes must be at most 10000 characters"] },
  ],
];

describe.each(dialects)("prospects on %s", (dialect) => {
  let s: ProspectsSetup;
  let emails = 0;
  const nextEmail = () => `prospect${++emails}@example.com`;
  const create = async (body: Record<string, unknown>, headers = s.as.user) => {
    const response = await s.call("POST", "/api/v1/prospects", headers, { email: nextEmail(), ...body });
    expect(response.status).toBe(201);
    return (await json<{ data: Prospect }>(response)).data;
  };
  const read = async (id: string) =>
    (await json<{ data: Prospect }>(await s.call("GET", `/api/v1/prospects/${id}`, s.as.viewer))).data;

  beforeAll(async () => {
    s = await setupProspects(dialect);
  });
  afterAll(() => s.database.drop());

  test("creates a prospect with every field and answers 201 with it", async () => {
    const input = {
      firstName: "Ava",
      lastName: "Thompson",
      email: "ava.thompson@northwind.io",
      company: "Northwind Analytics",
      title: "VP of Sales",
      phone: "+1 (555) 010-2030",
      linkedinUrl: "https://www.linkedin.com/in/ava-thompson",
      status: "qualified",
      score: 87,
      tags: ["enterprise", "inbound"],
      notes: "Met at SaaStr.",
      ownerId: s.org.admin.id,
    };
    const response = await s.call("POST", "/api/v1/prospects", s.as.user, input);
    expect(response.status).toBe(201);
    const body = await json<{ success: boolean; data: Prospect }>(response);
    const { id, createdAt, updatedAt, ...rest } = body.data;
    expect(body.success).toBe(true);
    expect(id).toMatch(uuid);
    expect(createdAt).toMatch(iso);
    expect(updatedAt).toBe(createdAt);
    expect(rest).toEqual(input);
    expect(await read(id)).toEqual(body.data);
  });

  test("defaults to status new, score 0, no tags and the creating user as owner", async () => {
    const prospect = await create({});
    expect(prospect).toMatchObject({
      firstName: null,
      lastName: null,
      company: null,
      title: null,
      phone: null,
      linkedinUrl: null,
      status: "new",
      score: 0,
      tags: [],
      notes: null,
      ownerId: s.org.user.id,
    });
  });

  test("a prospect added with an API key has no owner unless the body names one", async () => {
    const created = await s.call("POST", "/api/v1/api-keys", s.as.admin, { name: "crm sync", role: "user" });
    const key = (await json<{ data: { key: string } }>(created)).data.key;
    const headers = { authorization: `ApiKey ${key}` };
    expect((await create({}, headers)).ownerId).toBeNull();
    expect((await create({ ownerId: s.org.user.id }, headers)).ownerId).toBe(s.org.user.id);
  });

  test("accepts the limits themselves: 20 tags of 40 characters, 10,000 characters of notes, score 0 and 100", async () => {
    const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(40, "x"));
    const prospect = await create({ tags, notes: "n".repeat(10_000), score: 100 });
    expect(prospect.tags).toEqual(tags);
    expect((prospect.notes as string).length).toBe(10_000);
    expect((await create({ score: 0 })).score).toBe(0);
  });

  test("drops repeated tags, keeping the first of each", async () => {
    expect((await create({ tags: ["vip", "inbound", "vip"] })).tags).toEqual(["vip", "inbound"]);
  });

  test("never takes id, organizationId or timestamps from the client, and ignores unknown fields", async () => {
    const prospect = await create({
      id: "chosen-id",
      organizationId: s.other.id,
      createdAt: "2000-01-01T00:00:00.000Z",
      updatedAt: "2000-01-01T00:00:00.000Z",
      favouriteColour: "blue",
    });
    expect(prospect.id).toMatch(uuid);
    expect(prospect.createdAt.startsWith("2000")).toBe(false);
    expect(prospect).not.toHaveProperty("favouriteColour");
    expect(prospect).not.toHaveProperty("organizationId");
    const [row] = await s.database.db.sql<{ organization_id: string }[]>`
      select organization_id from prospects where id = ${prospect.id}`;
    expect(row?.organization_id).toBe(s.org.id);
  });

  test("refuses a prospect without an email with 422 on email", async () => {
    const body = await expectErrorEnvelope(
      await s.call("POST", "/api/v1/prospects", s.as.user, { firstName: "Ava" }),
      422,
      "ValidationError",
    );
    expect(body.errors).toEqual({ email: ["Email is required"] });
  });

  test.each(invalidFields)("refuses %s on create with 422 naming the field", async (_, fields, errors) => {
    const response = await s.call("POST", "/api/v1/prospects", s.as.user, { email: nextEmail(), ...fields });
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual(errors);
  });

  test.each(invalidFields)("refuses %s on update with 422 naming the field", async (_, fields, errors) => {
    const prospect = await create({});
    const response = await s.call("PATCH", `/api/v1/prospects/${prospect.id}`, s.as.user, fields);
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual(errors);
    expect(await read(prospect.id)).toEqual(prospect);
  });

  test.each([
    ["a user of another organization", () => s.other.user.id],
    ["an id that is no user", () => Bun.randomUUIDv7()],
  ])("refuses %s as owner with 422 on ownerId", async (_, owner) => {
    const created = await s.call("POST", "/api/v1/prospects", s.as.user, { email: nextEmail(), ownerId: owner() });
    const body = await expectErrorEnvelope(created, 422, "ValidationError");
    expect(body.errors).toEqual({ ownerId: ["Owner must be a user of your organization"] });

    const prospect = await create({});
    const patched = await s.call("PATCH", `/api/v1/prospects/${prospect.id}`, s.as.user, { ownerId: owner() });
    expect((await expectErrorEnvelope(patched, 422, "ValidationError")).errors).toEqual({
      ownerId: ["Owner must be a user of your organization"],
    });
  });

  test("refuses a second prospect with the same email in the organization with 409 naming email", async () => {
    const email = nextEmail();
    await create({ email });
    const response = await s.call("POST", "/api/v1/prospects", s.as.user, { email: email.toUpperCase() });
    const body = await expectErrorEnvelope(response, 409, "Conflict");
    expect(body.message).toBe("A prospect with this email already exists");
  });

  test("allows the same email in another organization", async () => {
    const email = nextEmail();
    await create({ email });
    expect((await create({ email }, s.as.other)).email).toBe(email);
  });

  test("PATCH changes only the fields it names and moves updatedAt", async () => {
    const prospect = await create({ firstName: "Liam", company: "Helios", score: 10, tags: ["a"] });
    await Bun.sleep(5);
    const response = await s.call("PATCH", `/api/v1/prospects/${prospect.id}`, s.as.user, { score: 55, status: "won" });
    expect(response.status).toBe(200);
    const updated = (await json<{ data: Prospect }>(response)).data;
    expect(updated).toEqual({ ...prospect, score: 55, status: "won", updatedAt: updated.updatedAt });
    expect(updated.updatedAt > prospect.updatedAt).toBe(true);
    expect(await read(prospect.id)).toEqual(updated);
  });

  test("PATCH with null clears a field, and with an empty body changes nothing", async () => {
    const prospect = await create({ notes: "call back", ownerId: s.org.admin.id });
    const cleared = await s.call("PATCH", `/api/v1/prospects/${prospect.id}`, s.as.user, {
      notes: null,
      ownerId: null,
    });
    expect((await json<{ data: Prospect }>(cleared)).data).toMatchObject({ notes: null, ownerId: null });
    const unchanged = await s.call("PATCH", `/api/v1/prospects/${prospect.id}`, s.as.user, {});
    expect(unchanged.status).toBe(200);
    expect((await json<{ data: Prospect }>(unchanged)).data).toEqual(await read(prospect.id));
  });

  test("PATCH to an email another prospect has is 409", async () => {
    const first = await create({});
    const second = await create({});
    const response = await s.call("PATCH", `/api/v1/prospects/${second.id}`, s.as.user, { email: first.email });
    expect((await expectErrorEnvelope(response, 409, "Conflict")).message).toBe(
      "A prospect with this email already exists",
    );
  });

  test("DELETE removes the prospect; reading it afterwards is 404", async () => {
    const prospect = await create({});
    const response = await s.call("DELETE", `/api/v1/prospects/${prospect.id}`, s.as.user);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: { id: prospect.id, deleted: true } });
    await expectErrorEnvelope(await s.call("GET", `/api/v1/prospects/${prospect.id}`, s.as.user), 404, "NotFound");
    await expectErrorEnvelope(await s.call("DELETE", `/api/v1/prospects/${prospect.id}`, s.as.user), 404, "NotFound");
  });

  test("a viewer may read prospects but every write is 403", async () => {
    const prospect = await create({});
    expect((await s.call("GET", "/api/v1/prospects", s.as.viewer)).status).toBe(200);
    expect((await s.call("GET", `/api/v1/prospects/${prospect.id}`, s.as.viewer)).status).toBe(200);
    const writes = [
      s.call("POST", "/api/v1/prospects", s.as.viewer, { email: nextEmail() }),
      s.call("PATCH", `/api/v1/prospects/${prospect.id}`, s.as.viewer, { score: 99 }),
      s.call("DELETE", `/api/v1/prospects/${prospect.id}`, s.as.viewer),
    ];
    for (const response of await Promise.all(writes)) {
      expect((await expectErrorEnvelope(response, 403, "Forbidden")).message).toBe(
        "This action requires the user role or above",
      );
    }
    expect(await read(prospect.id)).toEqual(prospect);
  });

  test("another organization's prospect is a 404 exactly like a missing one, for GET, PATCH and DELETE", async () => {
    const prospect = await create({});
    const missing = Bun.randomUUIDv7();
    for (const [method, body] of [["GET"], ["PATCH", { score: 1 }], ["DELETE"]] as const) {
      const theirs = await expectErrorEnvelope(
        await s.call(method, `/api/v1/prospects/${prospect.id}`, s.as.other, body),
        404,
        "NotFound",
      );
      const none = await expectErrorEnvelope(
        await s.call(method, `/api/v1/prospects/${missing}`, s.as.other, body),
        404,
        "NotFound",
      );
      expect(theirs.message).toBe("Prospect not found");
      expect(none.message).toBe(theirs.message);
    }
    expect(await read(prospect.id)).toEqual(prospect);
  });

  test("without credentials every prospect route is 401", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/prospects"],
      ["POST", "/api/v1/prospects"],
      ["GET", `/api/v1/prospects/${Bun.randomUUIDv7()}`],
    ] as const) {
      await expectErrorEnvelope(
        await s.call(method, path, {}, method === "POST" ? { email: nextEmail() } : undefined),
        401,
        "Unauthorized",
      );
    }
  });
});

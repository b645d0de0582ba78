import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createOrganizationRepository, type OrganizationRepository } from "../../src/modules/organizations/repository";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

describe.each(dialects)("organization repository on %s", (dialect) => {
  let created: TestDatabase;
  let organizations: OrganizationRepository;

  beforeAll(async () => {
    created = await createTestDatabase(dialect);
    organizations = createOrganizationRepository(created.db);
  });
  afterAll(() => created.drop());

  test("creates an organization with a UUIDv7 id and an ISO creation time", async () => {
    const before = new Date().toISOString();
    const organization = await organizations.create("Initech");
    expect(organization.name).toBe("Initech");
    expect(organization.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(organization.createdAt >= before).toBe(true);
  });

  test("finds an organization by id, and nothing for an unknown id", async () => {
    const organization = await organizations.create("Umbrella");
    expect(await organizations.findById(organization.id)).toEqual(organization);
    expect(await organizations.findById(Bun.randomUUIDv7())).toBeUndefined();
  });

  test("finds the oldest organization of an exact name", async () => {
    const first = await organizations.create("Stark Industries");
    await organizations.create("Stark Industries");
    expect((await organizations.findByName("Stark Industries"))?.id).toBe(first.id);
    expect(await organizations.findByName("stark industries")).toBeUndefined();
  });
});

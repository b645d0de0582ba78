import fc from "fast-check";
import type { App } from "../../../src/app";
import type { Dialect } from "../../../src/db/database";
import type { AiProvider } from "../../../src/modules/ai/provider";
import { buildTestApp } from "../../helpers/app";
import { createTestDatabase, type TestDatabase } from "../../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
  testPassword,
} from "../../helpers/fixtures";
import type { Hints } from "./arbitraries";

export type Caller =
  | "anonymous"
  | "viewer"
  | "user"
  | "admin"
  | "viewerKey"
  | "userKey"
  | "adminKey"
  | "demotedAdminKey"
  | "orphanedAdminKey"
  | "otherOrgAdmin";

export const callers: Caller[] = [
  "anonymous",
  "viewer",
  "user",
  "admin",
  "viewerKey",
  "userKey",
  "adminKey",
  // An admin-role key whose creator was then demoted to viewer: it acts as a viewer.
  "demotedAdminKey",
  // An admin-role key whose creator was then deleted: it is refused (401) everywhere.
  "orphanedAdminKey",
  "otherOrgAdmin",
];

/** Resources of organization A that routes with an :id can be pointed at. */
export interface Resources {
  prospectId: string;
  emailId: string;
  apiKeyId: string;
  /** A user of A who is nobody's caller, so that changing or removing them locks no caller out. */
  userId: string;
}

export interface World {
  database: TestDatabase;
  app: App;
  org: SeededOrganization;
  other: SeededOrganization;
  headers: Record<Caller, Record<string, string>>;
  /** The secrets of the keys behind the *Key callers. */
  keys: Record<"viewer" | "user" | "admin", string>;
  resources: Resources;
  /** Member values that make generated bodies refer to real things (see arbitraries.ts). */
  hints: Hints;
  /** Makes a new resource of organization A (as its admin) and returns its id; a fresh refresh token. */
  fresh: Record<keyof Resources | "refreshToken", () => Promise<string>>;
  call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response>;
}

/** A chat model that always drafts the same short email. */
export const cannedAi: AiProvider = {
  completeJson: async () => JSON.stringify({ subject: "Hello", body: "A short note." }),
};

/**
 * A migrated database with two organizations, every kind of caller, and one resource of each kind
 * in organization A, with the app (no rate limiter) on it.
 */
export async function buildWorld(dialect: Dialect, env: Record<string, string> = {}): Promise<World> {
  const database = await createTestDatabase(dialect);
  // The database's error mapper is always the app's (app.ts): a driver error is judged as in production.
  const { app } = buildTestApp({
    env: { ...cheapHashEnv, ...env },
    deps: { db: database.db, ai: cannedAi },
  });
  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    app.handle(jsonRequest(method, path, body, headers));
  const data = async (response: Promise<Response>, status: number) => {
    const answered = await response;
    if (answered.status !== status) throw new Error(`set-up failed: ${answered.status} ${await answered.text()}`);
    return ((await answered.json()) as { data: Record<string, string> }).data;
  };

  const org = await seedOrganization(database.db, "Org A");
  const other = await seedOrganization(database.db, "Org B");
  const admin = await login(app, org.admin);
  const user = await login(app, org.user);
  const viewer = await login(app, org.viewer);
  const otherAdmin = await login(app, other.admin);
  const asAdmin = bearer(admin.accessToken);
  const key = async (role: string) =>
    (await data(call("POST", "/api/v1/api-keys", asAdmin, { name: role, role }), 201)).key as string;
  const keys = { viewer: await key("viewer"), user: await key("user"), admin: await key("admin") };
  /** An admin key of a second admin, whose account is then changed by the first admin. */
  const adminKeyOfChangedAdmin = async (name: string, change: (id: string) => Promise<Response>) => {
    const email = `${name}@org-a.example.com`;
    const creator = await data(
      call("POST", "/api/v1/users", asAdmin, { email, password: testPassword, role: "admin" }),
      201,
    );
    const token = bearer((await login(app, { email, password: testPassword })).accessToken);
    const made = await data(call("POST", "/api/v1/api-keys", token, { name, role: "admin" }), 201);
    const changed = await change(creator.id as string);
    if (changed.status !== 200) throw new Error(`set-up failed: ${changed.status} ${await changed.text()}`);
    return made.key as string;
  };
  const demotedKey = await adminKeyOfChangedAdmin("demoted-admin", (id) =>
    call("PATCH", `/api/v1/users/${id}`, asAdmin, { role: "viewer" }),
  );
  const orphanedKey = await adminKeyOfChangedAdmin("deleted-admin", (id) =>
    call("DELETE", `/api/v1/users/${id}`, asAdmin),
  );

  const unique = () => Bun.randomUUIDv7().slice(-12);
  const fresh: World["fresh"] = {
    prospectId: async () =>
      (await data(call("POST", "/api/v1/prospects", asAdmin, { email: `p-${unique()}@prospect.example.com` }), 201))
        .id as string,
    emailId: async () =>
      (
        await data(
          call("POST", "/api/v1/emails", asAdmin, {
            prospectId: await fresh.prospectId(),
            subject: "Hi",
            text: "Hello",
          }),
          202,
        )
      ).id as string,
    apiKeyId: async () =>
      (await data(call("POST", "/api/v1/api-keys", asAdmin, { name: `k-${unique()}` }), 201)).id as string,
    userId: async () =>
      (
        await data(
          call("POST", "/api/v1/users", asAdmin, {
            email: `u-${unique()}@org-a.example.com`,
            password: "spare password 1",
          }),
          201,
        )
      ).id as string,
    refreshToken: async () => (await login(app, org.viewer)).refreshToken,
  };
  const resources: Resources = {
    prospectId: await fresh.prospectId(),
    emailId: await fresh.emailId(),
    apiKeyId: await fresh.apiKeyId(),
    userId: await fresh.userId(),
  };

  return {
    database,
    app,
    org,
    other,
    call,
    keys,
    hints: {
      prospectId: fc.constant(resources.prospectId),
      ownerId: fc.constantFrom(org.user.id, org.viewer.id),
      email: fc.oneof(
        fc.constantFrom(org.viewer.email, other.viewer.email),
        fc.stringMatching(/^[a-z0-9]{1,12}$/).map((local) => `${local}@fresh.example.com`),
      ),
      password: fc.constant(testPassword),
      refreshToken: fc.constant(await fresh.refreshToken()),
    },
    headers: {
      anonymous: {},
      viewer: bearer(viewer.accessToken),
      user: bearer(user.accessToken),
      admin: asAdmin,
      viewerKey: { authorization: `ApiKey ${keys.viewer}` },
      userKey: { authorization: `ApiKey ${keys.user}` },
      adminKey: { authorization: `ApiKey ${keys.admin}` },
      demotedAdminKey: { authorization: `ApiKey ${demotedKey}` },
      orphanedAdminKey: { authorization: `ApiKey ${orphanedKey}` },
      otherOrgAdmin: bearer(otherAdmin.accessToken),
    },
    resources,
    fresh,
  };
}

/** The resource each collection's `:id` names. */
export const resourceOfCollection: Record<string, keyof Resources> = {
  prospects: "prospectId",
  emails: "emailId",
  "api-keys": "apiKeyId",
  users: "userId",
};

/** Replaces each `/<collection>/:param` of a route template with an id of that collection. */
export async function concretePath(
  template: string,
  idOf: (resource: keyof Resources) => Promise<string> | string,
): Promise<string> {
  let path = template;
  for (const [whole, collection] of template.matchAll(/\/([^/]+)\/:\w+/g)) {
    const resource = resourceOfCollection[collection as string];
    if (!resource) throw new Error(`no resource for ${template}: add its collection to resourceOfCollection`);
    path = path.replace(whole, `/${collection}/${await idOf(resource)}`);
  }
  return path;
}

import { decodeCursor, toPage } from "../../db/cursor";
import { httpError } from "../../http/errors";
import { listMeta } from "../../http/pagination";
import { displayPrefix, generateApiKey, hashApiKey } from "../auth/api-key-secret";
import { type Principal, type Role, roleAtLeast } from "../auth/principal";
import type { RevocationBus } from "../auth/revocation-bus";
import { effectiveKeyRole } from "./effective-role";
import type { ApiKeyRepository, ApiKeyWithCreator } from "./repository";

export type ApiKeyService = ReturnType<typeof createApiKeyService>;

/**
 * What clients see of a key: never its hash, and its secret only once, at creation. `role` is the
 * key's own; `effectiveRole` what it acts with now (null: its creator is disabled or deleted).
 */
export function publicApiKey(record: ApiKeyWithCreator) {
  const { id, name, prefix, role, createdAt, lastUsedAt, expiresAt, creator } = record;
  return {
    id,
    name,
    prefix,
    role,
    effectiveRole: effectiveKeyRole(record),
    createdBy: creator && { id: creator.id, email: creator.email },
    createdAt,
    lastUsedAt,
    expiresAt,
  };
}

export function createApiKeyService(deps: { apiKeys: ApiKeyRepository; bus: RevocationBus }) {
  const { apiKeys, bus } = deps;
  return {
    async create(principal: Principal, input: { name: string; role?: Role; expiresAt?: string }) {
      const role = input.role ?? "user";
      if (!roleAtLeast(principal.role, role)) {
        throw httpError(403, "An API key cannot have a higher role than its creator");
      }
      if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= Date.now()) {
        throw httpError(422, "Validation failed", { details: { expiresAt: ["Expires at must be in the future"] } });
      }
      const secret = generateApiKey();
      const record = await apiKeys.create({
        id: Bun.randomUUIDv7(),
        organizationId: principal.organizationId,
        createdBy: principal.userId,
        name: input.name,
        prefix: displayPrefix(secret),
        keyHash: hashApiKey(secret),
        role,
        expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      });
      const shown = await apiKeys.findWithCreator(record.id);
      return { ...publicApiKey(shown ?? { ...record, creator: null }), key: secret };
    },

    async list(principal: Principal, page: { limit: number; cursor?: string }) {
      const after = page.cursor ? decodeCursor(page.cursor, ["string", "string"]) : undefined;
      const rows = await apiKeys.list(principal.organizationId, {
        limit: page.limit,
        after: after && { createdAt: after[0], id: after[1] },
      });
      const result = toPage(rows, page.limit, (r) => [r.createdAt, r.id]);
      return { data: result.items.map(publicApiKey), meta: listMeta(result, page.limit) };
    },

    /** Another organization's key is a 404, exactly like a missing one. */
    async revoke(principal: Principal, id: string): Promise<void> {
      if (!(await apiKeys.revoke(principal.organizationId, id))) throw httpError(404, "API key not found");
      await bus.publish({ kind: "apiKey", id });
    },
  };
}

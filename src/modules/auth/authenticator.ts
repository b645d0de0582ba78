import { effectiveKeyRole, inactiveKeyReason } from "../api-keys/effective-role";
import type { ApiKeyRepository } from "../api-keys/repository";
import { hashApiKey, looksLikeApiKey } from "./api-key-secret";
import { ExpiringCache } from "./expiring-cache";
import type { Principal } from "./principal";
import type { SessionRepository } from "./session-repository";
import { invalidToken, type TokenService } from "./tokens";

// A principal (of a token or a key) is re-read at least this often even when no revocation event
// arrives: an instance that missed a pub/sub message (Redis down, its subscription broken) refuses
// a revoked session or key within this long, not at the token's expiry.
const principalCacheMs = 60_000;
const cacheEntries = 10_000;

export interface AuthenticatorDeps {
  tokens: TokenService;
  sessions: SessionRepository;
  apiKeys: ApiKeyRepository;
  /** Records an API key's use; written in batches, never per request. */
  recordKeyUse?: (apiKeyId: string) => void;
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/**
 * Authorization header → Principal. A repeat token or key costs one Map lookup: the signature
 * check and the session/key query happen once per process per token, and revocation events
 * evict from these caches.
 */
export function createAuthenticator(deps: AuthenticatorDeps) {
  const byToken = new ExpiringCache<Principal>(cacheEntries);
  const byKeyHash = new ExpiringCache<Principal>(cacheEntries);
  // Bumped by every eviction: a principal read from the database before an eviction that landed
  // while the query ran is answered but not cached, so it cannot outlive the change it missed.
  let evictions = 0;

  async function fromAccessToken(token: string): Promise<Principal> {
    const cached = byToken.get(token);
    if (cached) return cached;
    const generation = evictions;
    const claims = await deps.tokens.verifyAccess(token);
    const session = await deps.sessions.findWithUser(claims.sid);
    if (!session || session.userId !== claims.sub) throw invalidToken("Invalid access token");
    if (session.revokedAt !== null) throw invalidToken("The session has been revoked");
    if (session.disabled) throw invalidToken("The account is disabled");
    const principal: Principal = {
      kind: "user",
      id: `user:${session.userId}`,
      userId: session.userId,
      apiKeyId: null,
      sessionId: session.id,
      organizationId: session.organizationId,
      role: session.role,
      email: session.email,
      apiKey: null,
    };
    if (generation === evictions)
      byToken.set(token, principal, Math.min(claims.exp * 1000, Date.now() + principalCacheMs));
    return principal;
  }

  async function fromApiKey(key: string): Promise<Principal> {
    const keyHash = hashApiKey(key);
    let principal = byKeyHash.get(keyHash);
    if (!principal) {
      const generation = evictions;
      const record = await deps.apiKeys.findActiveByHash(keyHash);
      if (!record) throw invalidToken("Invalid API key");
      const expiresAt = record.expiresAt ? Date.parse(record.expiresAt) : Number.POSITIVE_INFINITY;
      if (expiresAt <= Date.now()) throw invalidToken("The API key has expired");
      const role = effectiveKeyRole(record);
      if (role === null) throw invalidToken(inactiveKeyReason(record));
      principal = {
        kind: "apiKey",
        id: `key:${record.id}`,
        userId: record.createdBy,
        apiKeyId: record.id,
        sessionId: null,
        organizationId: record.organizationId,
        role,
        email: null,
        apiKey: { name: record.name, prefix: record.prefix },
      };
      if (generation === evictions)
        byKeyHash.set(keyHash, principal, Math.min(expiresAt, Date.now() + principalCacheMs));
    }
    deps.recordKeyUse?.(principal.apiKeyId as string);
    return principal;
  }

  return {
    /** undefined when no credentials were sent; throws 401 when they were sent and are bad. */
    async authenticate(authorization: string | null): Promise<Principal | undefined> {
      if (authorization === null || authorization.trim() === "") return undefined;
      const space = authorization.indexOf(" ");
      const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
      const credential = space === -1 ? "" : authorization.slice(space + 1).trim();
      if (scheme !== "bearer" && scheme !== "apikey") {
        throw invalidToken("Unsupported authorization scheme; use Bearer or ApiKey");
      }
      if (credential === "") throw invalidToken("Empty credentials");
      if (looksLikeApiKey(credential)) return fromApiKey(credential);
      if (scheme === "apikey") throw invalidToken("Invalid API key");
      return fromAccessToken(credential);
    },

    /**
     * The principal of a token or key seen before and still cached, without a Promise: the common
     * case of every request. undefined means "ask authenticate()", which also words every refusal.
     */
    cached(authorization: string | null): Principal | undefined {
      if (authorization === null) return undefined;
      const space = authorization.indexOf(" ");
      if (space !== 6 && space !== 7) return undefined;
      const scheme = authorization.slice(0, space).toLowerCase();
      const credential = authorization.slice(space + 1);
      // Padding around the credential (which authenticate() trims): leave such a header to it.
      if (
        credential.length === 0 ||
        credential.charCodeAt(0) <= 32 ||
        credential.charCodeAt(credential.length - 1) <= 32
      ) {
        return undefined;
      }
      if (looksLikeApiKey(credential)) {
        if (scheme !== "bearer" && scheme !== "apikey") return undefined;
        const principal = byKeyHash.get(hashApiKey(credential));
        if (principal) deps.recordKeyUse?.(principal.apiKeyId as string);
        return principal;
      }
      return scheme === "bearer" ? byToken.get(credential) : undefined;
    },

    forgetSessions(sessionIds: readonly string[]): void {
      evictions++;
      const ids = new Set(sessionIds);
      byToken.deleteWhere((p) => p.sessionId !== null && ids.has(p.sessionId));
    },

    /** The user's tokens, and the keys they created: those act with the creator's current role. */
    forgetUser(userId: string): void {
      evictions++;
      byToken.deleteWhere((p) => p.userId === userId);
      byKeyHash.deleteWhere((p) => p.userId === userId);
    },

    /** Every cached principal: revocations may have been missed (the bus's subscription was down). */
    forgetAll(): void {
      evictions++;
      byToken.deleteWhere(() => true);
      byKeyHash.deleteWhere(() => true);
    },

    forgetApiKey(apiKeyId: string): void {
      evictions++;
      byKeyHash.deleteWhere((p) => p.apiKeyId === apiKeyId);
    },
  };
}

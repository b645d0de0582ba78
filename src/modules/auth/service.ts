import { httpError } from "../../http/errors";
import type { UserRepository } from "../users/repository";
import type { PasswordHasher } from "./passwords";
import type { RevocationBus } from "./revocation-bus";
import type { SessionRepository } from "./session-repository";
import { invalidToken, type TokenService } from "./tokens";

export interface AuthServiceDeps {
  users: UserRepository;
  sessions: SessionRepository;
  tokens: TokenService;
  passwords: PasswordHasher;
  bus: RevocationBus;
}

export type AuthService = ReturnType<typeof createAuthService>;

const invalidLogin = () =>
  httpError(401, "Invalid email or password", { headers: { "www-authenticate": 'Bearer realm="api"' } });

export function createAuthService(deps: AuthServiceDeps) {
  const { users, sessions, tokens, passwords, bus } = deps;

  async function issuePair(input: {
    userId: string;
    organizationId: string;
    role: "viewer" | "user" | "admin";
    sessionId: string;
    jti: string;
  }) {
    const [accessToken, refreshToken] = await Promise.all([
      tokens.signAccess(input),
      tokens.signRefresh({ userId: input.userId, sessionId: input.sessionId, jti: input.jti }),
    ]);
    return { accessToken, refreshToken };
  }

  return {
    /** Same message and about the same time for an unknown email and a wrong password. */
    async login(email: string, password: string) {
      const user = await users.findByEmail(email);
      const valid = user ? await passwords.verify(password, user.passwordHash) : await passwords.burn(password);
      if (!user || !valid || user.disabled) throw invalidLogin();
      const sessionId = Bun.randomUUIDv7();
      const jti = crypto.randomUUID();
      const expiresAt = new Date(Date.now() + tokens.refreshTtlSeconds * 1000).toISOString();
      await sessions.create({ id: sessionId, userId: user.id, refreshJti: jti, expiresAt });
      const pair = await issuePair({
        userId: user.id,
        organizationId: user.organizationId,
        role: user.role,
        sessionId,
        jti,
      });
      return { ...pair, user: { id: user.id, email: user.email, role: user.role } };
    },

    /** Rotation with reuse detection: a retired refresh token revokes its whole session. */
    async refresh(refreshToken: string) {
      const claims = await tokens.verifyRefresh(refreshToken);
      const session = await sessions.findWithUser(claims.sid);
      if (!session || session.userId !== claims.sub) throw invalidToken("Invalid refresh token");
      if (session.revokedAt !== null) throw invalidToken("The session has been revoked");
      if (session.disabled) throw invalidToken("The account is disabled");
      if (Date.parse(session.expiresAt) <= Date.now()) throw invalidToken("The refresh token has expired");
      const nextJti = crypto.randomUUID();
      const rotated = session.refreshJti === claims.jti && (await sessions.rotate(session.id, claims.jti, nextJti));
      if (!rotated) {
        await sessions.revoke(session.id, "refresh_token_reuse");
        await bus.publish({ kind: "sessions", ids: [session.id] });
        throw invalidToken("Refresh token reuse detected; the session has been revoked");
      }
      return issuePair({
        userId: session.userId,
        organizationId: session.organizationId,
        role: session.role,
        sessionId: session.id,
        jti: nextJti,
      });
    },

    async logout(input: { userId: string; sessionId: string | null; scope: "session" | "global" }) {
      const ids =
        input.scope === "global" || input.sessionId === null
          ? await sessions.revokeAllForUser(input.userId, "logout_global")
          : (await sessions.revoke(input.sessionId, "logout"))
            ? [input.sessionId]
            : [];
      await bus.publish({ kind: "sessions", ids });
      return { sessionsRevoked: ids.length };
    },

    /** Called when a user is disabled, deleted, or changes role or password. */
    async revokeUser(userId: string, reason: string): Promise<void> {
      const ids = await sessions.revokeAllForUser(userId, reason);
      await bus.publish({ kind: "sessions", ids });
      await bus.publish({ kind: "user", id: userId });
    },
  };
}

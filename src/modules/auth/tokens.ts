import { errors, jwtVerify, SignJWT } from "jose";
import type { Config } from "../../config";
import { httpError } from "../../http/errors";
import type { Role } from "./principal";

export interface AccessClaims {
  sub: string;
  org: string;
  role: Role;
  sid: string;
  exp: number;
}

export interface RefreshClaims {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
}

export type TokenService = ReturnType<typeof createTokenService>;

/** HS256 only, with issuer, audience and `typ` checked: a refresh token is never an access token. */
export function createTokenService(jwt: Config["jwt"]) {
  const accessKey = new TextEncoder().encode(jwt.accessSecret);
  const refreshKey = new TextEncoder().encode(jwt.refreshSecret);
  const verifyOptions = { algorithms: ["HS256"], issuer: jwt.issuer, audience: jwt.audience };

  const sign = (claims: Record<string, unknown>, subject: string, ttl: number, key: Uint8Array) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(subject)
      .setIssuer(jwt.issuer)
      .setAudience(jwt.audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(key);

  return {
    accessTtlSeconds: jwt.accessTtlSeconds,
    refreshTtlSeconds: jwt.refreshTtlSeconds,

    signAccess(input: { userId: string; organizationId: string; role: Role; sessionId: string }) {
      const claims = { org: input.organizationId, role: input.role, sid: input.sessionId, typ: "access" };
      return sign(claims, input.userId, jwt.accessTtlSeconds, accessKey);
    },

    signRefresh(input: { userId: string; sessionId: string; jti: string }) {
      return sign(
        { sid: input.sessionId, jti: input.jti, typ: "refresh" },
        input.userId,
        jwt.refreshTtlSeconds,
        refreshKey,
      );
    },

    async verifyAccess(token: string): Promise<AccessClaims> {
      const payload = await verify(token, accessKey, verifyOptions, "access");
      const { sub, org, role, sid, exp } = payload;
      if (typeof sub !== "string" || typeof org !== "string" || typeof sid !== "string" || typeof exp !== "number") {
        throw invalidToken("Invalid access token");
      }
      if (role !== "viewer" && role !== "user" && role !== "admin") throw invalidToken("Invalid access token");
      return { sub, org, role, sid, exp };
    },

    async verifyRefresh(token: string): Promise<RefreshClaims> {
      const payload = await verify(token, refreshKey, verifyOptions, "refresh");
      const { sub, sid, jti, exp } = payload;
      if (typeof sub !== "string" || typeof sid !== "string" || typeof jti !== "string" || typeof exp !== "number") {
        throw invalidToken("Invalid refresh token");
      }
      return { sub, sid, jti, exp };
    },
  };
}

async function verify(
  token: string,
  key: Uint8Array,
  options: { algorithms: string[]; issuer: string; audience: string },
  typ: "access" | "refresh",
) {
  const label = typ === "access" ? "access token" : "refresh token";
  try {
    const { payload } = await jwtVerify(token, key, options);
    if (payload.typ !== typ) throw invalidToken(`Invalid ${label}`);
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw invalidToken(`The ${label} has expired`);
    if (error instanceof errors.JOSEError) throw invalidToken(`Invalid ${label}`);
    throw error;
  }
}

/** RFC 6750: a token was sent but is bad or expired. */
export function invalidToken(message: string) {
  return httpError(401, message, {
    headers: { "www-authenticate": `Bearer error="invalid_token", error_description="${message}"` },
  });
}

/** RFC 6750: no credentials were sent. */
export function missingCredentials() {
  return httpError(401, "Authentication required", { headers: { "www-authenticate": 'Bearer realm="api"' } });
}

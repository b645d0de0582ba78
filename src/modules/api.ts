import { Elysia } from "elysia";
import type { AppDeps } from "../app";
import { createGuards } from "../http/guards";
import { aiRoutes } from "./ai";
import { createOpenAiProvider } from "./ai/provider";
import { createAiRepository } from "./ai/repository";
import { createAiService } from "./ai/service";
import { apiKeyRoutes } from "./api-keys";
import { createApiKeyRepository } from "./api-keys/repository";
import { createApiKeyService } from "./api-keys/service";
import { authRoutes } from "./auth";
import { createAuthenticator } from "./auth/authenticator";
import { createPasswordHasher } from "./auth/passwords";
import { createAuthService } from "./auth/service";
import { createSessionRepository } from "./auth/session-repository";
import { createTokenService } from "./auth/tokens";
import { emailRoutes } from "./emails";
import { createEmailRepository } from "./emails/repository";
import { createEmailService } from "./emails/service";
import { createIdempotency } from "./idempotency/service";
import { prospectRoutes } from "./prospects";
import { createPageCache } from "./prospects/page-cache";
import { createProspectRepository } from "./prospects/repository";
import { createProspectService } from "./prospects/service";
import { searchRoutes } from "./search";
import { createSearchRepository } from "./search/repository";
import { createSearchService } from "./search/service";
import { usageRoutes } from "./usage";
import { createUsageRepository } from "./usage/repository";
import { createUsageService } from "./usage/service";
import { userRoutes } from "./users";
import { createUserRepository } from "./users/repository";
import { createUserService } from "./users/service";

// ~8 MB of JSON text: 800 pages of 20 prospects, or 8 of 1,000.
const pageCacheChars = 8_000_000;

/** Builds repositories and services on the app's dependencies and mounts every feature under /api/v1. */
export function apiRoutes(deps: AppDeps) {
  const { config, db, bus } = deps;
  const users = createUserRepository(db);
  const sessions = createSessionRepository(db);
  const apiKeys = createApiKeyRepository(db);
  const tokens = createTokenService(config.jwt);
  const passwords = createPasswordHasher(config.passwordHash, config.passwordHashing, {
    work: deps.passwordWork,
    onBusy: () => deps.metrics?.passwordHashRefusals.inc(),
  });

  const authenticator = createAuthenticator({ tokens, sessions, apiKeys, recordKeyUse: deps.keyUse?.record });
  bus.onEvent((event) => {
    if (event.kind === "sessions") authenticator.forgetSessions(event.ids);
    else if (event.kind === "user") authenticator.forgetUser(event.id);
    else if (event.kind === "apiKey") authenticator.forgetApiKey(event.id);
    else authenticator.forgetAll();
  });

  const auth = createAuthService({ users, sessions, tokens, passwords, bus });
  const guards = createGuards({ authenticator, limiter: deps.limiter, config, metrics: deps.metrics });
  const emails = createEmailService({ emails: createEmailRepository(db) });
  const pages = createPageCache({
    generations: deps.generations,
    ttlMs: config.pageCacheTtlMs,
    maxChars: pageCacheChars,
  });
  deps.metrics?.readPageCache(pages.stats);
  const prospects = createProspectService({
    prospects: createProspectRepository(db),
    idempotency: createIdempotency({ db }),
    changed: pages.changed,
  });
  const search = createSearchService({ search: createSearchRepository(db) });
  const ai = createAiService({
    prospects: createAiRepository(db),
    provider: deps.ai ?? createOpenAiProvider(config.ai, { logger: deps.logger }),
    logger: deps.logger,
  });

  // Every route counts against the general policy; a route's own `rateLimit` adds its policy.
  return new Elysia({ prefix: "/api/v1" }).use(guards).guard({ rateLimit: "general" }, (api) =>
    api
      .use(authRoutes(guards, auth))
      .use(userRoutes(guards, createUserService({ users, passwords, auth, prospectsChanged: pages.changed })))
      .use(apiKeyRoutes(guards, createApiKeyService({ apiKeys, bus })))
      .use(usageRoutes(guards, createUsageService({ usage: createUsageRepository(db) })))
      .use(emailRoutes(guards, emails))
      .use(prospectRoutes(guards, prospects, pages))
      .use(searchRoutes(guards, search))
      .use(aiRoutes(guards, ai)),
  );
}

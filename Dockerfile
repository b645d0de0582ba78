# syntax=docker/dockerfile:1
# The Bun version matches the `bun` dev dependency, so the image runs what the tests ran.

FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Bun reads package-lock.json when there is no bun.lock; --frozen-lockfile refuses to drift from it.
# Behind a TLS-intercepting proxy, pass its CA bundle for this step only, never into a layer:
#   docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt .
RUN --mount=type=secret,id=ca_bundle \
    if [ -f /run/secrets/ca_bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle; fi; \
    bun install --frozen-lockfile --production

FROM deps AS build
COPY . .
RUN bun run build

FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000
# The bundle inlines every dependency but Swagger UI's files, which /docs reads from the package at
# run time (src/modules/docs/assets.ts): those four files are all of node_modules the image carries.
# Code stays owned by root so the server cannot rewrite itself; only data/ (the embedded SQLite
# default, sqlite://./data/app.db) is writable by the runtime user.
COPY --from=build /app/dist ./dist
COPY --from=deps /app/node_modules/swagger-ui-dist/package.json \
     /app/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
     /app/node_modules/swagger-ui-dist/swagger-ui.css \
     /app/node_modules/swagger-ui-dist/favicon-32x32.png \
     ./node_modules/swagger-ui-dist/
COPY package.json ./
RUN mkdir -p data && chown 1000:1000 data
# Numeric uid (the image's `bun` user) so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 1000:1000
EXPOSE 3000
# No curl in the Bun image: Bun's own fetch probes the route the orchestrators use.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["bun", "-e", "const r = await fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(3000) }).catch(() => null); process.exit(r?.ok ? 0 : 1)"]
# The base image's entrypoint is a shell script; clearing it makes bun PID 1 so SIGTERM from
# `docker stop` / the kubelet reaches the server's graceful drain directly. The drain takes up to
# SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS (15 s in production), more than `docker stop`'s default
# 10 s: run with `--stop-timeout 30` (Compose: `stop_grace_period: 30s`), as docs/deploy.md says.
ENTRYPOINT []
CMD ["bun", "dist/server.js"]

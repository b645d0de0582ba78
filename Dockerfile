# syntax=docker/dockerfile:1
# The Bun version matches the `bun` dev dependency, so the image runs what the tests ran.

FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Bun reads package-lock.json when there is no bun.lock; --frozen-lockfile refuses to drift from it.
RUN bun install --frozen-lockfile --production

FROM deps AS build
COPY . .
RUN bun run build

FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000
# The bundle inlines its dependencies today; the production node_modules stays beside it for any a
# later build leaves external (native add-ons, dynamic requires).
# Code stays owned by root so the server cannot rewrite itself; only data/ (the embedded SQLite
# default, sqlite://./data/app.db) is writable by the runtime user.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p data && chown 1000:1000 data
# Numeric uid (the image's `bun` user) so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 1000:1000
EXPOSE 3000
# No curl in the Bun image: Bun's own fetch probes the route the orchestrators use.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["bun", "-e", "const r = await fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(3000) }).catch(() => null); process.exit(r?.ok ? 0 : 1)"]
# The base image's entrypoint is a shell script; clearing it makes bun PID 1 so SIGTERM from
# `docker stop` / the kubelet reaches the server's graceful drain directly.
ENTRYPOINT []
CMD ["bun", "dist/server.js"]

// PM2: four Bun processes of the API on one host.
//   pm2 start deploy/ecosystem.config.cjs
// Settings the file does not set (DATABASE_URL, JWT_*, METRICS_TOKEN, REDIS_URL, …) come from the environment
// `pm2 start` runs in, or from the .env in the app directory, which Bun loads by itself.
const path = require("node:path");

// Overridable so the same file runs a checkout (tests, staging) as well as /var/www/airevenueorc.
const appDir = process.env.API_APP_DIR ?? path.resolve(__dirname, "..");
const entry = process.env.API_ENTRY ?? "dist/server.js";
const bun = process.env.BUN_BIN ?? "bun";
const port = process.env.PORT ?? "3000";
// The seed's nginx upstream lists 3000–3003: with API_PORT_PER_INSTANCE=true each process takes
// its own port (PORT, PORT+1, …) instead of sharing one.
const portPerInstance = process.env.API_PORT_PER_INSTANCE === "true";

module.exports = {
  apps: [
    {
      name: "airevenueorc-api",
      cwd: appDir,
      // PM2's cluster mode is built on Node's cluster module, which Bun does not provide, so the
      // instances are plain forks. PM2's own Bun wrapper (`interpreter: "bun"`) loads the app with
      // require(), which Bun refuses for a module with top-level await; starting bun itself as the
      // program avoids the wrapper.
      script: bun,
      args: [entry],
      interpreter: "none",
      exec_mode: "fork",
      instances: 4,
      ...(portPerInstance ? { increment_var: "PORT" } : {}),
      // PM2 stops a process with SIGINT, then SIGKILL after kill_timeout: leave room for the
      // server's drain (SHUTDOWN_DELAY_MS 5 s + SHUTDOWN_TIMEOUT_MS 10 s in production).
      kill_timeout: 20_000,
      // A crash loop (bad setting, database behind) stops after 10 quick restarts instead of spinning.
      min_uptime: 5_000,
      max_restarts: 10,
      env: {
        NODE_ENV: "production",
        PORT: port,
        // Forks cannot share a listening socket the way cluster workers do; SO_REUSEPORT lets all
        // four bind the same port and the kernel spreads connections across them.
        REUSE_PORT: portPerInstance ? "false" : "true",
        // Four processes migrating at once would race: run `npm run migrate` before (re)starting.
        MIGRATE_ON_START: "false",
      },
    },
  ],
};

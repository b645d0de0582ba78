/**
 * A process that shuts down the way src/server.ts does (handleShutdownSignals on a real server)
 * with cleanup steps that fail in between ones that must still run. It prints each step that ran
 * on stdout; test/server/shutdown.test.ts sends it SIGTERM.
 */
import { createLogger } from "../../src/observability/logger";
import { handleShutdownSignals } from "../../src/shutdown";

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
const ran = (name: string) => process.stdout.write(`ran ${name}\n`);
handleShutdownSignals({
  server,
  lifecycle: { shuttingDown: false },
  logger: createLogger(),
  delayMs: 0,
  timeoutMs: 1000,
  cleanup: [
    () => ran("first"),
    () => {
      throw new Error("flush failed");
    },
    async () => {
      await Bun.sleep(10);
      throw new Error("close rejected");
    },
    async () => {
      await Bun.sleep(10);
      ran("last");
    },
  ],
});
process.stdout.write(`ready ${server.port}\n`);

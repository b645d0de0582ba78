import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { healthcheckCommand, parseDockerfile } from "./dockerfile";
import { loadManifests, mainContainer, only } from "./k8s-manifests";
import { buildApp, buildScript, bunBin, freePort, readRepoFile, removeDir, waitForStatus } from "./support";

// One build for the file: each test starts its own process from it.
const built = buildApp();

afterAll(async () => {
  const appDir = await built.catch(() => null);
  if (appDir) removeDir(appDir);
});

interface Started {
  proc: Bun.Subprocess<"ignore", "ignore", "pipe">;
  port: number;
}

/** Starts the artifact the way the image does (`bun dist/server.js` in the app directory). */
async function startArtifact(appDir: string, env: Record<string, string>): Promise<Started> {
  const port = freePort();
  const proc = Bun.spawn([bunBin, join(appDir, "dist/server.js")], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: appDir, ...env, PORT: String(port) },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  return { proc, port };
}

async function stopWithSigterm({ proc }: Started): Promise<number> {
  proc.kill("SIGTERM");
  return proc.exited;
}

function devEnv(appDir: string): Record<string, string> {
  return { NODE_ENV: "development", DATABASE_URL: `sqlite://${appDir}/app.db` };
}

describe("the build the image runs", () => {
  test("npm run build bundles src/server.ts for Bun into dist/", () => {
    const script = buildScript();
    expect(script).toStartWith("bun build src/server.ts ");
    expect(script).toContain("--target=bun");
    expect(script).toContain("--outdir=dist");
  });

  test("the built artifact answers /health, then exits 0 on SIGTERM", async () => {
    const appDir = await built;
    const server = await startArtifact(appDir, devEnv(appDir));
    try {
      await waitForStatus(`http://127.0.0.1:${server.port}/health`, 200, 10_000);
    } catch (error) {
      server.proc.kill("SIGKILL");
      throw new Error(`${error}\n${await new Response(server.proc.stderr).text()}`);
    }
    expect(await stopWithSigterm(server)).toBe(0);
  }, 30_000);

  test("the Dockerfile's HEALTHCHECK command passes against the running artifact", async () => {
    const appDir = await built;
    const server = await startArtifact(appDir, devEnv(appDir));
    try {
      await waitForStatus(`http://127.0.0.1:${server.port}/health`, 200, 10_000);
      const [final] = parseDockerfile(readRepoFile("Dockerfile")).slice(-1);
      const command = final && healthcheckCommand(final);
      if (!command) throw new Error("no HEALTHCHECK command");
      const check = Bun.spawnSync([bunBin, ...command.slice(1)], {
        env: { PATH: process.env.PATH ?? "", PORT: String(server.port) },
      });
      expect(check.exitCode).toBe(0);
    } finally {
      server.proc.kill("SIGKILL");
    }
  }, 30_000);

  test("after the migration Job's command, a process configured like a pod becomes ready and drains on SIGTERM", async () => {
    const appDir = await built;
    const manifests = loadManifests();
    const config = only<IConfigMap>(manifests, "ConfigMap").data ?? {};
    const database = { DATABASE_URL: `sqlite://${appDir}/pod.db` };

    const [, ...migrateArgs] = mainContainer(only<IJob>(manifests, "Job")).command ?? [];
    const migrate = Bun.spawnSync([bunBin, ...migrateArgs], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? "", HOME: appDir, ...config, ...database },
    });
    if (migrate.exitCode !== 0) throw new Error(`migrate exited ${migrate.exitCode}: ${migrate.stderr}`);

    const server = await startArtifact(appDir, {
      ...config,
      ...database,
      JWT_SECRET: "a".repeat(32),
      JWT_REFRESH_SECRET: "b".repeat(32),
      METRICS_TOKEN: "m".repeat(32),
      // The delay is for load balancers; nothing watches this process.
      SHUTDOWN_DELAY_MS: "0",
    });
    try {
      await waitForStatus(`http://127.0.0.1:${server.port}/health/ready`, 200, 10_000);
    } catch (error) {
      server.proc.kill("SIGKILL");
      throw new Error(`${error}\n${await new Response(server.proc.stderr).text()}`);
    }
    expect(await stopWithSigterm(server)).toBe(0);
  }, 30_000);
});

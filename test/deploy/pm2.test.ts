import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildApp,
  bunBin,
  freePort,
  freePortRange,
  makeTempDir,
  pathWithBun,
  removeDir,
  repoRoot,
  waitForStatus,
} from "./support";

const pm2Bin = join(repoRoot, "node_modules/.bin/pm2");
const built = buildApp().then(migrate);
const homes: string[] = [];

interface Pm2Process {
  pid: number;
  pm2_env: { status: string; restart_time: number; PORT?: string | number };
}

/** The documented order: migrate once, then start the processes (they do not migrate themselves). */
async function migrate(appDir: string): Promise<string> {
  const run = Bun.spawnSync([bunBin, "dist/scripts/migrate.js"], {
    cwd: appDir,
    env: { ...appEnv(appDir), NODE_ENV: "production" },
  });
  if (run.exitCode !== 0) throw new Error(`migrate exited ${run.exitCode}: ${run.stderr}`);
  return appDir;
}

/** What a host would have in its environment or .env; the ecosystem file adds the rest. */
function appEnv(appDir: string): Record<string, string> {
  return {
    PATH: pathWithBun(),
    HOME: appDir,
    DATABASE_URL: `sqlite://${appDir}/app.db`,
    JWT_SECRET: "a".repeat(32),
    JWT_REFRESH_SECRET: "b".repeat(32),
    METRICS_TOKEN: "m".repeat(32),
    // The delay is for load balancers; nothing watches these processes.
    SHUTDOWN_DELAY_MS: "0",
  };
}

/** The ecosystem's apps as PM2 reads them, evaluated in a clean environment (no test NODE_ENV). */
function loadEcosystem(): Array<Record<string, unknown> & { env: Record<string, string> }> {
  const file = join(repoRoot, "deploy/ecosystem.config.cjs");
  const run = Bun.spawnSync([bunBin, "-e", `console.log(JSON.stringify(require(${JSON.stringify(file)}).apps))`], {
    env: { PATH: pathWithBun() },
  });
  if (run.exitCode !== 0) throw new Error(`${file}: ${run.stderr}`);
  return JSON.parse(run.stdout.toString());
}

type Pm2 = ReturnType<typeof isolatedPm2>;

/** A PM2 with its own daemon and state directory, never the user's ~/.pm2. */
function isolatedPm2(appDir: string, env: Record<string, string>) {
  const home = makeTempDir("pm2");
  homes.push(home);
  const fullEnv = { ...appEnv(appDir), PM2_HOME: home, API_APP_DIR: appDir, BUN_BIN: bunBin, ...env };
  const run = (...args: string[]) => {
    const result = Bun.spawnSync([pm2Bin, ...args], { cwd: repoRoot, env: fullEnv });
    if (result.exitCode !== 0) throw new Error(`pm2 ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}`);
    return result.stdout.toString();
  };
  const list = (): Pm2Process[] => {
    const out = run("jlist");
    return JSON.parse(out.slice(out.indexOf("["))) as Pm2Process[];
  };
  /** The processes' stderr as PM2 logged it, for failure messages. */
  const errors = () =>
    readdirSync(join(home, "logs"))
      .filter((f) => f.includes("-error"))
      .map((f) => readFileSync(join(home, "logs", f), "utf8").slice(-500))
      .join("\n");
  return { run, list, errors };
}

/** Waits for four online processes, then checks they stay up (a port clash shows as restarts). */
async function expectFourStableProcesses({ list, errors }: Pm2): Promise<Pm2Process[]> {
  const deadline = Date.now() + 10_000;
  while (list().filter((p) => p.pm2_env.status === "online").length < 4 && Date.now() < deadline) {
    await Bun.sleep(200);
  }
  const first = list();
  await Bun.sleep(1500);
  const settled = list();
  if (settled.some((p) => p.pm2_env.status !== "online" || p.pm2_env.restart_time > 0)) {
    const states = settled.map((p) => `${p.pm2_env.status} after ${p.pm2_env.restart_time} restarts`);
    throw new Error(`not four stable processes: ${states.join(", ")}\n${errors()}`);
  }
  expect(settled.map((p) => [p.pm2_env.status, p.pm2_env.restart_time])).toEqual(Array(4).fill(["online", 0]));
  expect(new Set(settled.map((p) => p.pid)).size).toBe(4);
  expect(settled.map((p) => p.pid)).toEqual(first.map((p) => p.pid));
  return settled;
}

afterAll(async () => {
  for (const home of homes) {
    Bun.spawnSync([pm2Bin, "kill"], { env: { PATH: pathWithBun(), PM2_HOME: home } });
    removeDir(home);
  }
  const appDir = await built.catch(() => null);
  if (appDir) removeDir(appDir);
});

describe("PM2 ecosystem", () => {
  // kill_timeout against the drain: test/deploy/grace-periods.test.ts.
  test("forks four Bun processes of the built server in production", () => {
    const [app] = loadEcosystem();
    expect(app).toMatchObject({ exec_mode: "fork", instances: 4, interpreter: "none", args: ["dist/server.js"] });
    expect(app?.env).toMatchObject({ NODE_ENV: "production", REUSE_PORT: "true", MIGRATE_ON_START: "false" });
  });

  test("starts four Bun processes of the built server that share one port", async () => {
    const appDir = await built;
    const port = freePort();
    const pm2 = isolatedPm2(appDir, { PORT: String(port) });
    try {
      pm2.run("start", "deploy/ecosystem.config.cjs");
      await expectFourStableProcesses(pm2);
      await waitForStatus(`http://127.0.0.1:${port}/health`, 200, 5000);
    } finally {
      pm2.run("kill");
    }
  }, 20_000);

  test("with API_PORT_PER_INSTANCE=true the four processes take the consecutive ports of nginx's upstream", async () => {
    const appDir = await built;
    const base = freePortRange(4);
    const pm2 = isolatedPm2(appDir, { PORT: String(base), API_PORT_PER_INSTANCE: "true" });
    try {
      pm2.run("start", "deploy/ecosystem.config.cjs");
      const processes = await expectFourStableProcesses(pm2);
      const ports = processes.map((p) => Number(p.pm2_env.PORT)).sort((a, b) => a - b);
      expect(ports).toEqual([base, base + 1, base + 2, base + 3]);
      for (const port of ports) await waitForStatus(`http://127.0.0.1:${port}/health`, 200, 5000);
    } finally {
      pm2.run("kill");
    }
  }, 20_000);
});

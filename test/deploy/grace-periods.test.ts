import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { loadConfig } from "../../src/config";
import { loadManifests, mainContainer, only, podSpecOf } from "./k8s-manifests";
import { readRepoFile, repoRoot } from "./support";

/**
 * Every supervisor must wait longer than the server's drain (SHUTDOWN_DELAY_MS, then up to
 * SHUTDOWN_TIMEOUT_MS for in-flight requests) before it kills, or a deploy cuts requests off. The
 * drain is computed from the production config with the settings each deploy file itself passes.
 */
function drainSeconds(settings: Record<string, string | undefined> = {}): number {
  const config = loadConfig({
    NODE_ENV: "production",
    JWT_SECRET: "a".repeat(40),
    JWT_REFRESH_SECRET: "b".repeat(40),
    METRICS_TOKEN: "m".repeat(40),
    ...settings,
  });
  return (config.shutdownDelayMs + config.shutdownTimeoutMs) / 1000;
}

describe("grace periods", () => {
  test("the production drain is what the deploy files are sized for (delay + drain timeout)", () => {
    expect(drainSeconds()).toBeGreaterThan(0);
  });

  test("docker run and Compose, as docs/deploy.md shows them, wait longer than the drain", () => {
    const docs = readRepoFile("docs/deploy.md");
    const stopTimeouts = [...docs.matchAll(/--stop-timeout (\d+)/g)].map((m) => Number(m[1]));
    const composeGrace = [...docs.matchAll(/stop_grace_period: (\d+)s/g)].map((m) => Number(m[1]));
    expect(stopTimeouts.length).toBeGreaterThan(0);
    expect(composeGrace.length).toBeGreaterThan(0);
    for (const seconds of [...stopTimeouts, ...composeGrace]) expect(seconds).toBeGreaterThan(drainSeconds());
    // The image test stops the container with the documented timeout; the Dockerfile says it too.
    expect(readRepoFile("scripts/test-image.sh")).toContain("--stop-timeout");
    expect(readRepoFile("Dockerfile")).toContain(`--stop-timeout ${stopTimeouts[0]}`);
  });

  test("PM2's kill_timeout outlasts the drain of the settings it starts the server with", () => {
    const { apps } = createRequire(import.meta.url)(join(repoRoot, "deploy/ecosystem.config.cjs")) as {
      apps: Array<{ kill_timeout: number; env: Record<string, string> }>;
    };
    for (const app of apps) expect(app.kill_timeout / 1000).toBeGreaterThan(drainSeconds(app.env));
  });

  test("systemd's TimeoutStopSec outlasts the drain of the unit's environment", () => {
    const unit = readRepoFile("deploy/airevenueorc-api.service");
    const env = Object.fromEntries(
      [...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    const timeout = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
    expect(timeout).toBeGreaterThan(drainSeconds(env));
  });

  test("Kubernetes' terminationGracePeriodSeconds outlasts preStop plus the ConfigMap's drain", () => {
    const manifests = loadManifests();
    const deployment = only<IDeployment>(manifests, "Deployment");
    const config = only<IConfigMap>(manifests, "ConfigMap").data ?? {};
    const preStop = mainContainer(deployment).lifecycle?.preStop;
    const sleepMs = Number(/Bun\.sleep\((\d+)\)/.exec(preStop?.exec?.command?.join(" ") ?? "")?.[1] ?? 0);
    const preStopSeconds = preStop?.sleep?.seconds ?? sleepMs / 1000;
    expect(preStopSeconds).toBeGreaterThan(0);
    expect(podSpecOf(deployment).terminationGracePeriodSeconds ?? 30).toBeGreaterThan(
      preStopSeconds + drainSeconds(config),
    );
  });
});

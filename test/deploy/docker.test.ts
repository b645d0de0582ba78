import { describe, expect, test } from "bun:test";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { envOf, execForm, healthcheckCommand, last, parseDockerfile } from "./dockerfile";
import { loadManifests, mainContainer, only } from "./k8s-manifests";
import { readRepoFile } from "./support";

const stages = parseDockerfile(readRepoFile("Dockerfile"));
const final = stages.at(-1);
if (!final) throw new Error("the Dockerfile has no stage");
const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));

describe("Dockerfile", () => {
  test("every base image is the official Bun image pinned to the Bun version the tests run on", () => {
    const external = stages.map((s) => s.image).filter((image) => !stageNames.has(image));
    expect(external.length).toBeGreaterThan(0);
    for (const image of external) {
      expect(image).toMatch(/^oven\/bun:\d+\.\d+\.\d+(-[a-z]+)?$/);
      expect(image.split(":")[1]?.split("-")[0]).toBe(Bun.version);
    }
  });

  test("dependencies come from the lockfile, production only", () => {
    const copies = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args));
    expect(copies.some((c) => c.includes("package-lock.json"))).toBe(true);
    const installs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args));
    expect(
      installs.some(
        (run) =>
          (run.includes("bun install") && run.includes("--frozen-lockfile") && run.includes("--production")) ||
          (run.includes("npm ci") && run.includes("--omit=dev")),
      ),
    ).toBe(true);
  });

  test("the image is built by `npm run build` and ships its dist/", () => {
    const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args));
    expect(runs.some((r) => /^(bun|npm) run build$/.test(r))).toBe(true);
    const copies = final.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies.some((c) => /^--from=\w+ \/app\/dist \.\/dist$/.test(c))).toBe(true);
  });

  test("the container runs as a non-root user", () => {
    const user = last(final, "USER") ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
  });

  test("the built server is PID 1: exec-form CMD on dist/server.js and no entrypoint shell", () => {
    expect(execForm(last(final, "CMD"))).toEqual(["bun", "dist/server.js"]);
    // The base image's entrypoint is a shell script; it must be cleared, not inherited.
    expect(execForm(last(final, "ENTRYPOINT"))).toEqual([]);
  });

  test("EXPOSE, the PORT default and the Kubernetes container port agree", () => {
    const port = envOf(final).PORT;
    expect(last(final, "EXPOSE")).toBe(port);
    const deployment = only<IDeployment>(loadManifests(), "Deployment");
    expect(mainContainer(deployment).ports?.[0]?.containerPort).toBe(Number(port));
  });

  test("the HEALTHCHECK asks /health with Bun itself, in exec form", () => {
    const command = healthcheckCommand(final);
    expect(command?.slice(0, 2)).toEqual(["bun", "-e"]);
    expect(command?.[2]).toContain("/health'");
    expect(command?.[2]).toContain("process.env.PORT");
  });

  test(".dockerignore keeps tests, bench, git history, node_modules, local data and env files out", () => {
    const ignored = readRepoFile(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining([".git", "node_modules", "test", "bench", "data", ".env", "dist"]));
  });
});

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type LoadResult, type LoadSpec, measuringMarker, resultMarker } from "./load-spec";
import { pinned } from "./processes";
import { runWrk } from "./wrk";

/** wrk (Debian's package), or autocannon on Node or on Bun. */
export type GeneratorRuntime = "wrk" | "node" | "bun";

export interface Generator {
  runtime: GeneratorRuntime;
  /** Runs the spec; `onMeasuring` is called when the warm-up is over and the measured run starts. */
  run(spec: LoadSpec, onMeasuring?: () => void): Promise<LoadResult>;
}

const root = join(import.meta.dir, "..");

/**
 * The load generator's launcher. wrk when it is installed: one C thread generates several times
 * the load autocannon does on the same core, so the generator is not the ceiling (Bun's docs warn
 * that autocannon is slower than Bun.serve). Otherwise autocannon (the design's choice): a Node
 * program that generates more load per core under Node than under Bun's node:net, so with Node on
 * the machine, bench/load.ts is bundled for Node once (dependencies stay in node_modules) and run
 * there; otherwise Bun runs it directly.
 */
export async function createGenerator(options: { runtime?: GeneratorRuntime; cpu?: string }): Promise<Generator> {
  const node = Bun.which("node");
  const wrk = Bun.which("wrk");
  const runtime: GeneratorRuntime = options.runtime ?? (wrk ? "wrk" : node ? "node" : "bun");
  if (runtime === "wrk") {
    if (!wrk) throw new Error("--generator=wrk: wrk is not on PATH");
    return { runtime, run: (spec, onMeasuring) => runWrk(wrk, options.cpu, spec, onMeasuring) };
  }
  let command: string[];
  if (runtime === "node") {
    if (!node) throw new Error("--generator=node: node is not on PATH");
    const outdir = join(root, "node_modules", ".cache", "revenue-bench");
    mkdirSync(outdir, { recursive: true });
    const build = await Bun.build({
      entrypoints: [join(import.meta.dir, "load.ts")],
      outdir,
      target: "node",
      packages: "external",
      naming: "load.mjs",
    });
    if (!build.success) throw new Error(`could not build the load generator: ${build.logs.join("\n")}`);
    command = [node, join(outdir, "load.mjs")];
  } else {
    command = [process.execPath, join(import.meta.dir, "load.ts")];
  }
  return {
    runtime,
    async run(spec, onMeasuring) {
      const child = Bun.spawn(pinned(options.cpu, [...command, JSON.stringify(spec)]), {
        cwd: root,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "inherit",
      });
      let result: LoadResult | undefined;
      for await (const line of lines(child.stdout)) {
        if (line === measuringMarker) onMeasuring?.();
        else if (line.startsWith(resultMarker)) result = JSON.parse(line.slice(resultMarker.length)) as LoadResult;
      }
      const code = await child.exited;
      if (code !== 0 || !result) throw new Error(`load generator for ${spec.title} exited ${code} without a result`);
      return result;
    },
  };
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    yield* parts;
  }
  if (pending) yield pending;
}

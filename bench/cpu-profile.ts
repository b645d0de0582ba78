/**
 * Summarises a .cpuprofile (Bun's --cpu-prof, Chrome's format): the functions with the most self
 * time, and self time by source (our files, each package, Bun's native code). Given how many
 * requests the process served, also the cost per request in µs.
 * `bun bench/cpu-profile.ts <file.cpuprofile> [--top=25] [--requests=N] [--native-to-caller]`
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  sampledMs: number;
  idleMs: number;
  functions: SelfTime[];
  sources: SelfTime[];
}

const root = `${relative("/", `${import.meta.dir}/..`)}/`;

/**
 * With `chargeNativeToCaller`, time in native code (JSON.stringify, new Response, a socket write…)
 * is charged to the nearest JavaScript function that called it: what a line of ours really costs.
 */
export function summarizeProfile(path: string, top = 25, chargeNativeToCaller = false): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const charged = (id: number): number => {
    let current = id;
    while (chargeNativeToCaller && !byId.get(current)?.callFrame.url && parentOf.has(current)) {
      current = parentOf.get(current) as number;
    }
    return byId.get(current)?.callFrame.url || !chargeNativeToCaller ? current : id;
  };
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample. After the process slept (between
  // scenarios), it spans the whole sleep: charge a sample at most twice the usual interval and
  // count the rest as idle, or a function that happened to wake up would look expensive.
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const cap = 2 * (sorted[Math.floor(sorted.length / 2)] ?? 1000);
  let sleptUs = 0;
  profile.samples.forEach((sample, i) => {
    const id = charged(sample);
    const delta = profile.timeDeltas[i] ?? 0;
    sleptUs += Math.max(0, delta - cap);
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.min(delta, cap));
  });

  const functions = new Map<string, SelfTime>();
  const sources = new Map<string, SelfTime>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") idleUs += us;
    const where = location(frame.url, frame.lineNumber);
    const name = frame.functionName || "(anonymous)";
    add(functions, `${name} ${where}`, name, where, us);
    const source = sourceOf(frame.url);
    add(sources, source, source, "", us);
  }
  const rank = (map: Map<string, SelfTime>) =>
    [...map.values()]
      .map((entry) => ({ ...entry, selfMs: entry.selfMs / 1000, share: totalUs === 0 ? 0 : entry.selfMs / totalUs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return {
    sampledMs: totalUs / 1000,
    idleMs: (idleUs + sleptUs) / 1000,
    functions: rank(functions),
    sources: rank(sources),
  };
}

function add(map: Map<string, SelfTime>, key: string, name: string, where: string, us: number) {
  const entry = map.get(key) ?? { name, where, selfMs: 0, share: 0 };
  entry.selfMs += us;
  map.set(key, entry);
}

function location(url: string, line: number): string {
  if (!url) return "(native)";
  return `${shorten(url)}:${line + 1}`;
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const inModules = path.lastIndexOf("node_modules/");
  if (inModules !== -1) return path.slice(inModules + "node_modules/".length);
  const inRepo = path.indexOf(root);
  return inRepo !== -1 ? path.slice(inRepo + root.length) : path;
}

/** A package name, a top folder of ours (src/http, src/modules/auth…), or (native). */
function sourceOf(url: string): string {
  if (!url) return "(native: Bun, JSC, GC)";
  const short = shorten(url);
  if (url.includes("node_modules/")) {
    const parts = short.split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? short);
  }
  const parts = short.split("/");
  return parts.length > 2 ? parts.slice(0, parts[1] === "modules" ? 3 : 2).join("/") : short;
}

/** Lines for the terminal and docs; with `requests`, a µs-per-request column. */
export function formatSummary(summary: ProfileSummary, requests?: number): string {
  const perRequest = (ms: number) => (requests ? `${((ms * 1000) / requests).toFixed(2).padStart(8)} µs/req` : "");
  const row = (entry: SelfTime) =>
    `${entry.selfMs.toFixed(0).padStart(8)} ms ${(entry.share * 100).toFixed(1).padStart(5)}% ${perRequest(entry.selfMs)}  ${entry.name}${entry.where ? `  ${entry.where}` : ""}`;
  return [
    `busy ${summary.sampledMs.toFixed(0)} ms (idle ${summary.idleMs.toFixed(0)} ms not counted)${requests ? `, ${requests.toLocaleString("en-US")} requests` : ""}`,
    "self time by source:",
    ...summary.sources.map(row),
    "top functions by self time:",
    ...summary.functions.map(row),
  ].join("\n");
}

if (import.meta.main) {
  const [file, ...flags] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: bun bench/cpu-profile.ts <file.cpuprofile> [--top=25] [--requests=N]\n");
    process.exit(1);
  }
  const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.split("=")[1];
  const requests = flag("requests") ? Number(flag("requests")) : undefined;
  const summary = summarizeProfile(file, Number(flag("top") ?? 25), flags.includes("--native-to-caller"));
  process.stdout.write(`${formatSummary(summary, requests)}\n`);
}

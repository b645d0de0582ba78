/**
 * Preloaded into the API for a stall hunt (`--preload`, see docs/performance.md): a 1 ms timer
 * notes every event-loop gap over 3 ms with the CPU the process used during it (a gap the process
 * spent running is a stall of ours; one it spent descheduled is the machine's) and whether the
 * heap shrank across it (a garbage collection ran). Written to LOOP_STALLS_FILE at exit.
 */
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

interface Gap {
  atMs: number;
  wallMs: number;
  cpuMs: number;
  heapDropMb: number;
}

const file = process.env.LOOP_STALLS_FILE ?? "/tmp/loop-stalls.json";
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const gaps: Gap[] = [];
const started = performance.now();
let last = performance.now();
let lastCpu = process.cpuUsage();
let lastHeap = process.memoryUsage().heapUsed;
let ticks = 0;

setInterval(() => {
  const now = performance.now();
  const wall = now - last;
  ticks++;
  if (wall > 3) {
    const cpu = process.cpuUsage(lastCpu);
    const heap = process.memoryUsage().heapUsed;
    gaps.push({
      atMs: Math.round(now - started),
      wallMs: Math.round(wall * 100) / 100,
      cpuMs: Math.round((cpu.user + cpu.system) / 10) / 100,
      heapDropMb: Math.round((lastHeap - heap) / 1e4) / 100,
    });
    lastHeap = heap;
  } else if (ticks % 10 === 0) {
    lastHeap = process.memoryUsage().heapUsed;
  }
  last = now;
  lastCpu = process.cpuUsage();
}, 1).unref();

process.on("exit", () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const busy = gaps.filter((g) => g.cpuMs >= 0.8 * g.wallMs);
  writeFileSync(
    file,
    JSON.stringify(
      {
        delay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
        gaps: gaps.length,
        busyGaps: busy.length,
        busyWithHeapDrop: busy.filter((g) => g.heapDropMb > 5).length,
        longestBusy: [...busy].sort((a, b) => b.wallMs - a.wallMs).slice(0, 40),
      },
      null,
      1,
    ),
  );
});

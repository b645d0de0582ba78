import { describe, expect, test } from "bun:test";
import { canPin, pinned, runQueueWaitMs } from "../../bench/processes";
import { waitPercent } from "../../bench/scenario-runner";

const spin = "const end = performance.now() + 600; while (performance.now() < end);";

describe("run-queue wait of a process", () => {
  test.skipIf(!canPin() || runQueueWaitMs(process.pid) === undefined)(
    "counts the time a process was runnable while another held its only CPU, and not time asleep",
    async () => {
      // Two spinning processes on one CPU: each waits about half the time for the other.
      const spinners = [0, 1].map(() =>
        Bun.spawn(pinned("0", [process.execPath, "-e", `${spin} setTimeout(() => {}, 2000);`])),
      );
      const sleeper = Bun.spawn(pinned("0", [process.execPath, "-e", "setTimeout(() => {}, 2000);"]));
      await Bun.sleep(1200);
      const waits = spinners.map((child) => runQueueWaitMs(child.pid) as number);
      const slept = runQueueWaitMs(sleeper.pid) as number;
      for (const child of [...spinners, sleeper]) child.kill();
      // Start-up (module load) also waits while the other spins: the sum is over 300 ms.
      expect(waits[0] as number).toBeGreaterThan(0);
      expect((waits[0] as number) + (waits[1] as number)).toBeGreaterThan(300);
      expect(slept).toBeLessThan((waits[0] as number) + (waits[1] as number));
    },
  );

  test("is undefined for a process that is gone", async () => {
    const child = Bun.spawn([process.execPath, "-e", ""]);
    await child.exited;
    expect(runQueueWaitMs(child.pid)).toBeUndefined();
  });

  test("is a share of the measured run's wall time, and missing when either reading is", () => {
    expect(waitPercent(100, 600, 10)).toBe(5);
    expect(waitPercent(undefined, 600, 10)).toBeUndefined();
    expect(waitPercent(100, undefined, 10)).toBeUndefined();
    expect(waitPercent(100, 600, 0)).toBeUndefined();
  });
});

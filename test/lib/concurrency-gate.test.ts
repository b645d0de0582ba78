import { describe, expect, test } from "bun:test";
import { createConcurrencyGate, GateBusyError } from "../../src/lib/concurrency-gate";

/** A task that runs until the test lets it finish. */
function heldTask() {
  let finish: (value: string) => void = () => {};
  let fail: (error: Error) => void = () => {};
  let started = false;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    run: () => {
      started = true;
      return done;
    },
    started: () => started,
    finish,
    fail,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("concurrency gate", () => {
  test("runs at most `concurrency` tasks at once and starts waiters in arrival order as slots free", async () => {
    const gate = createConcurrencyGate({ concurrency: 2, queueMax: 10, waitMs: 5000 });
    const tasks = [heldTask(), heldTask(), heldTask(), heldTask()];
    const results = tasks.map((task) => gate.run(task.run));
    await settle();
    expect(tasks.map((t) => t.started())).toEqual([true, true, false, false]);

    tasks[1]?.finish("b");
    expect(await results[1]).toBe("b");
    await settle();
    expect(tasks.map((t) => t.started())).toEqual([true, true, true, false]);

    tasks[0]?.finish("a");
    tasks[2]?.finish("c");
    await settle();
    expect(tasks[3]?.started()).toBe(true);
    tasks[3]?.finish("d");
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"]);
  });

  test("refuses at once when every slot is taken and the queue is full", async () => {
    const gate = createConcurrencyGate({ concurrency: 1, queueMax: 1, waitMs: 5000 });
    const running = heldTask();
    const waiting = heldTask();
    const first = gate.run(running.run);
    const second = gate.run(waiting.run);
    const started = performance.now();
    await expect(gate.run(heldTask().run)).rejects.toBeInstanceOf(GateBusyError);
    expect(performance.now() - started).toBeLessThan(50);
    running.finish("1");
    waiting.finish("2");
    expect(await Promise.all([first, second])).toEqual(["1", "2"]);
  });

  test("refuses a waiter whose wait runs out, and never starts it", async () => {
    const gate = createConcurrencyGate({ concurrency: 1, queueMax: 5, waitMs: 100 });
    const running = heldTask();
    const late = heldTask();
    void gate.run(running.run);
    const started = performance.now();
    const refused = gate.run(late.run);
    await expect(refused).rejects.toThrow("wait timed out");
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    running.finish("done");
    await settle();
    expect(late.started()).toBe(false);
  });

  test("frees the slot of a task that fails", async () => {
    const gate = createConcurrencyGate({ concurrency: 1, queueMax: 5, waitMs: 5000 });
    const failing = heldTask();
    const next = heldTask();
    const first = gate.run(failing.run);
    const second = gate.run(next.run);
    failing.fail(new Error("boom"));
    await expect(first).rejects.toThrow("boom");
    await settle();
    expect(next.started()).toBe(true);
    next.finish("ok");
    expect(await second).toBe("ok");
  });
});

import { describe, expect, test } from "bun:test";
import { CircuitOpenError, type CircuitState, createCircuitBreaker } from "../../src/lib/circuit-breaker";

/** A breaker on a hand-moved clock, recording its transitions. */
function breakerOnClock(options: { probe?: () => Promise<unknown> } = {}) {
  let now = 0;
  const transitions: string[] = [];
  const breaker = createCircuitBreaker({
    name: "test",
    failureThreshold: 3,
    openMs: 100,
    maxOpenMs: 400,
    now: () => now,
    onTransition: (from: CircuitState, to: CircuitState) => transitions.push(`${from}→${to}`),
    ...options,
  });
  return { breaker, transitions, advance: (ms: number) => (now += ms) };
}

const failing = () => Promise.reject(new Error("down"));
const working = () => Promise.resolve("ok");

describe("circuit breaker, the first call after the wait as the probe", () => {
  test("stays closed through failures that a success interrupts", async () => {
    const { breaker } = breakerOnClock();
    for (let i = 0; i < 5; i++) {
      await breaker.run(failing).catch(() => {});
      await breaker.run(failing).catch(() => {});
      await breaker.run(working);
    }
    expect(breaker.state()).toBe("closed");
  });

  test("opens after 3 failures in a row and then refuses calls at once without making them", async () => {
    const { breaker, transitions } = breakerOnClock();
    for (let i = 0; i < 3; i++) await breaker.run(failing).catch(() => {});
    expect(breaker.state()).toBe("open");
    let called = false;
    const refused = await breaker
      .run(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(transitions).toEqual(["closed→open"]);
  });

  test("errors that isFailure does not count leave it closed", async () => {
    const { breaker } = breakerOnClock();
    for (let i = 0; i < 5; i++) await breaker.run(failing, () => false).catch(() => {});
    expect(breaker.state()).toBe("closed");
  });

  test("lets one probe through after the wait; its success closes the circuit", async () => {
    const { breaker, transitions, advance } = breakerOnClock();
    for (let i = 0; i < 3; i++) await breaker.run(failing).catch(() => {});
    advance(99);
    expect(breaker.allow()).toBe(false);
    advance(1);
    expect(breaker.allow()).toBe(true);
    expect(breaker.state()).toBe("half-open");
    // A second caller while the probe runs is refused: one probe at a time.
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state()).toBe("closed");
    expect(transitions).toEqual(["closed→open", "open→half-open", "half-open→closed"]);
  });

  test("a failed probe reopens it and doubles the wait, up to the maximum", async () => {
    const { breaker, advance } = breakerOnClock();
    for (let i = 0; i < 3; i++) await breaker.run(failing).catch(() => {});
    const waits: number[] = [];
    for (let probe = 0; probe < 4; probe++) {
      let waited = 0;
      while (!breaker.allow()) {
        advance(10);
        waited += 10;
      }
      waits.push(waited);
      breaker.failure();
    }
    expect(waits).toEqual([100, 200, 400, 400]);
  });

  test("trip() opens it at once, whatever the count", () => {
    const { breaker } = breakerOnClock();
    breaker.trip();
    expect(breaker.state()).toBe("open");
  });
});

describe("circuit breaker with a probe of its own", () => {
  test("probes by itself after the wait, refuses every call meanwhile, and closes when the probe succeeds", async () => {
    let healthy = false;
    let probes = 0;
    const { breaker, transitions } = breakerOnClock({
      probe: async () => {
        probes++;
        if (!healthy) throw new Error("still down");
      },
    });
    breaker.trip();
    expect(breaker.allow()).toBe(false);
    // Real timers: 100 ms, then 200 ms after the first failed probe.
    await Bun.sleep(150);
    expect(probes).toBe(1);
    expect(breaker.state()).toBe("open");
    healthy = true;
    await Bun.sleep(250);
    expect(probes).toBe(2);
    expect(breaker.state()).toBe("closed");
    expect(breaker.allow()).toBe(true);
    expect(transitions).toEqual([
      "closed→open",
      "open→half-open",
      "half-open→open",
      "open→half-open",
      "half-open→closed",
    ]);
    breaker.close();
  });

  test("close() stops a scheduled probe", async () => {
    let probes = 0;
    const { breaker } = breakerOnClock({
      probe: async () => {
        probes++;
      },
    });
    breaker.trip();
    breaker.close();
    await Bun.sleep(150);
    expect(probes).toBe(0);
  });
});

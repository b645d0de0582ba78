import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createHashWorkers } from "../../src/modules/auth/hash-workers";

const params = { algorithm: "argon2id" as const, memoryCost: 64, timeCost: 1 };

/** Niceness of every thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(): Map<string, number> {
  const tasks = readdirSync("/proc/self/task");
  return new Map(
    tasks.map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return [tid, Number(fields[16])];
    }),
  );
}

describe("password hashing on worker threads", () => {
  const work = createHashWorkers(2);
  afterAll(() => work.close());

  test("hashes and verifies: the right password true, a wrong one false, and Bun.password reads the hash", async () => {
    const hash = await work.hash("correct horse", params);
    expect(hash).toStartWith("$argon2id$");
    expect(await work.verify("correct horse", hash)).toBe(true);
    expect(await work.verify("wrong horse", hash)).toBe(false);
    expect(await Bun.password.verify("correct horse", hash)).toBe(true);
  });

  test("runs two jobs at once on two threads, and refuses a third rather than queueing it", async () => {
    const both = Promise.all([work.hash("a", params), work.hash("b", params)]);
    await expect(work.hash("c", params)).rejects.toThrow("more than 2 password jobs at once");
    expect((await both).every((hash) => hash.startsWith("$argon2id$"))).toBe(true);
  });

  test("reports a failure of the hash itself as a rejection", async () => {
    await expect(work.verify("x", "not a hash")).rejects.toThrow();
    expect(await work.verify("correct horse", await work.hash("correct horse", params))).toBe(true);
  });

  test.skipIf(!existsSync("/proc/thread-self"))(
    "runs its threads at nice 19, the rest of the process at 0",
    async () => {
      const before = threadNiceness();
      const fresh = createHashWorkers(1);
      await fresh.hash("p", params);
      const added = [...threadNiceness()].filter(([tid]) => !before.has(tid));
      fresh.close();
      expect(added.map(([, nice]) => nice)).toContain(19);
      expect(threadNiceness().get(String(process.pid))).toBe(0);
    },
  );
});

/** What the argon2id work needs: Bun.password's own functions, or worker threads doing the same. */
export interface PasswordWork {
  hash(password: string, params: Bun.Password.Argon2Algorithm): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  close(): void;
}

// The worker lowers its own thread to the lowest CPU priority (Linux: setpriority on its thread
// id), so that under CPU contention the kernel runs the event loop first and hashes with what is left.
const workerSource = `
const { readlinkSync } = require("node:fs");
const { setPriority } = require("node:os");
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 19);
} catch {}
self.onmessage = ({ data }) => {
  try {
    const value = data.op === "hash"
      ? Bun.password.hashSync(data.password, data.params)
      : Bun.password.verifySync(data.password, data.hash);
    postMessage({ id: data.id, value });
  } catch (error) {
    postMessage({ id: data.id, error: String(error) });
  }
};`;

interface Job {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

/**
 * Up to `count` worker threads at nice 19 that hash and verify one password at a time each.
 * Bun.password's async functions run on Bun's shared thread pool at normal priority, where a login
 * flood competes with the event loop for every core. The caller bounds how many jobs run at once
 * (the hashing gate, with the same count), so a job always finds a worker or makes one.
 */
export function createHashWorkers(count: number): PasswordWork {
  const url = URL.createObjectURL(new Blob([workerSource], { type: "application/javascript" }));
  const idle: Worker[] = [];
  const all: Worker[] = [];
  const jobs = new Map<number, Job>();
  let nextId = 0;

  const spawn = (): Worker => {
    const worker = new Worker(url);
    worker.unref();
    worker.onmessage = ({ data }: MessageEvent<{ id: number; value?: never; error?: string }>) => {
      const job = jobs.get(data.id);
      jobs.delete(data.id);
      idle.push(worker);
      if (data.error !== undefined) job?.reject(new Error(data.error));
      else job?.resolve(data.value as never);
    };
    all.push(worker);
    return worker;
  };

  const run = <T>(message: Record<string, unknown>): Promise<T> => {
    const worker = idle.pop() ?? (all.length < count ? spawn() : undefined);
    if (!worker) return Promise.reject(new Error(`more than ${count} password jobs at once`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      jobs.set(id, { resolve: resolve as (value: never) => void, reject });
      worker.postMessage({ ...message, id });
    });
  };

  return {
    hash: (password, params) => run<string>({ op: "hash", password, params }),
    verify: (password, hash) => run<boolean>({ op: "verify", password, hash }),
    close() {
      for (const worker of all) worker.terminate();
      for (const job of jobs.values()) job.reject(new Error("password workers closed"));
      jobs.clear();
    },
  };
}

/** Bun.password on Bun's own thread pool: for tests and scripts, where no workers are made. */
export const bunPasswordWork: PasswordWork = {
  hash: (password, params) => Bun.password.hash(password, params),
  verify: (password, hash) => Bun.password.verify(password, hash),
  close() {},
};

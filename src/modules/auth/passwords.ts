import type { Config } from "../../config";
import { httpError } from "../../http/errors";
import { createConcurrencyGate, GateBusyError } from "../../lib/concurrency-gate";
import { bunPasswordWork, type PasswordWork } from "./hash-workers";

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

export const hashingBusy = "The server is busy checking passwords, please retry";

/**
 * argon2id through Bun.password. The dummy hash lets an unknown email cost the same as a wrong password.
 * Unbounded, a login flood takes every core from the event loop (Bun's pool has a thread per core).
 * At most `concurrency` hashes run at once, on `work` (server.ts: worker threads at the lowest CPU
 * priority); the rest wait briefly in a bounded queue, then get 503.
 */
export function createPasswordHasher(
  options: Config["passwordHash"],
  limits: Config["passwordHashing"],
  extra: { work?: PasswordWork; onBusy?: () => void } = {},
) {
  const { work = bunPasswordWork, onBusy } = extra;
  const params = { algorithm: "argon2id" as const, memoryCost: options.memoryCost, timeCost: options.timeCost };
  const gate = createConcurrencyGate(limits);
  const gated = async <T>(task: () => Promise<T>): Promise<T> => {
    try {
      return await gate.run(task);
    } catch (error) {
      if (!(error instanceof GateBusyError)) throw error;
      onBusy?.();
      throw httpError(503, hashingBusy, { headers: { "retry-after": "1" }, shed: true });
    }
  };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password: string) => gated(() => work.hash(password, params)),
    verify: (password: string, hash: string) => gated(() => work.verify(password, hash)),
    /** Verifies against a throwaway hash of the same cost; always false. */
    burn(password: string): Promise<false> {
      return gated(async () => {
        dummy ??= work.hash(crypto.randomUUID(), params);
        await work.verify(password, await dummy);
        return false as const;
      });
    },
  };
}

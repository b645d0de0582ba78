import type { Config } from "../../config";
import { httpError } from "../../http/errors";
import { createConcurrencyGate, GateBusyError } from "../../lib/concurrency-gate";

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

export const hashingBusy = "The server is busy checking passwords, please retry";

/**
 * argon2id through Bun.password. The dummy hash lets an unknown email cost the same as a wrong password.
 * Bun runs each hash on its thread pool (one thread per core): unbounded, a login flood takes every
 * core from the event loop. At most `concurrency` hashes run at once; the rest wait briefly in a
 * bounded queue, then get 503.
 */
export function createPasswordHasher(
  options: Config["passwordHash"],
  limits: Config["passwordHashing"],
  onBusy?: () => void,
) {
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
    hash: (password: string) => gated(() => Bun.password.hash(password, params)),
    verify: (password: string, hash: string) => gated(() => Bun.password.verify(password, hash)),
    /** Verifies against a throwaway hash of the same cost; always false. */
    burn(password: string): Promise<false> {
      return gated(async () => {
        dummy ??= Bun.password.hash(crypto.randomUUID(), params);
        await Bun.password.verify(password, await dummy);
        return false as const;
      });
    },
  };
}

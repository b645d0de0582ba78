import type { Config } from "../../config";

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

/** argon2id through Bun.password. The dummy hash lets an unknown email cost the same as a wrong password. */
export function createPasswordHasher(options: Config["passwordHash"]) {
  const params = { algorithm: "argon2id" as const, memoryCost: options.memoryCost, timeCost: options.timeCost };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password: string) => Bun.password.hash(password, params),
    verify: (password: string, hash: string) => Bun.password.verify(password, hash),
    /** Verifies against a throwaway hash of the same cost; always false. */
    async burn(password: string): Promise<false> {
      dummy ??= Bun.password.hash(crypto.randomUUID(), params);
      await Bun.password.verify(password, await dummy);
      return false;
    },
  };
}

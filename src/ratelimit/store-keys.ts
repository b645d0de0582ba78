import type { PolicyName } from "./policies";

/** Clients whose keys are kept; past this the cache starts over (many one-off clients, an address scan). */
const keepAtMost = 10_000;

/**
 * Each client's counter key per policy, built once and kept: a busy client's requests look their
 * keys up instead of building them again (and Map lookups of a kept string reuse its hash).
 */
export function createStoreKeys(prefix: string) {
  const byClient = new Map<string, Partial<Record<PolicyName, string>>>();
  return {
    of(client: string, policy: PolicyName): string {
      let keys = byClient.get(client);
      if (!keys) {
        if (byClient.size >= keepAtMost) byClient.clear();
        keys = {};
        byClient.set(client, keys);
      }
      let key = keys[policy];
      if (key === undefined) {
        key = storeKey(prefix, policy, client);
        keys[policy] = key;
      }
      return key;
    },
  };
}

export type StoreKeys = ReturnType<typeof createStoreKeys>;

/**
 * `<prefix><policy>:{<client>}`: a prefix per policy for operators, and the client in a hash tag so
 * that all counters of one request live in one Redis Cluster slot (one script may touch them all)
 * and no two clients share a tag. Braces in a client (an unparsed address) would move the tag.
 */
export function storeKey(prefix: string, policy: PolicyName, client: string): string {
  const tag = client.includes("{") || client.includes("}") ? client.replace(/[{}]/g, "_") : client;
  return `${prefix}${policy}:{${tag}}`;
}

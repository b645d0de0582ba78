const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const apiKeyPrefix = "sk_live_";
const secretLength = 40;

/** `sk_live_` + 40 base62 characters (~238 bits), from rejection sampling so every character is uniform. */
export function generateApiKey(): string {
  let out = apiKeyPrefix;
  while (out.length < apiKeyPrefix.length + secretLength) {
    for (const byte of crypto.getRandomValues(new Uint8Array(64))) {
      if (byte < 248 && out.length < apiKeyPrefix.length + secretLength) out += alphabet[byte % 62];
    }
  }
  return out;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(apiKeyPrefix);
}

/**
 * Keys are stored as SHA-256: a database leak does not leak usable keys. Runs on every request
 * made with a key; the one-shot Bun.SHA256.hash costs ~0.25 µs where a CryptoHasher costs ~1.4 µs.
 */
export function hashApiKey(key: string): string {
  return Bun.SHA256.hash(key, "hex") as string;
}

/** What a listing shows, e.g. `sk_live_AbCd`. */
export function displayPrefix(key: string): string {
  return key.slice(0, apiKeyPrefix.length + 4);
}

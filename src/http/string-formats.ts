import { FormatRegistry } from "@sinclair/typebox";

/**
 * What `format: "email"` accepts: a local part of letters, digits and `_'+-.` (no leading, trailing
 * or doubled dot), then labels of letters, digits and hyphens, and a top-level domain of two or
 * more letters. The pattern is zod 4's, which is what the API has enforced since @elysiajs/openapi
 * came in (below); clients saw it, so it stays.
 */
const emailPattern = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

/**
 * Puts back cheap checks for the string formats the API's schemas use. Importing
 * @elysiajs/openapi (through @sinclair/typemap) replaces TypeBox's global "email" check, among
 * others, with one that builds a new zod schema on every call: ~22 µs a check against 0.17, and
 * Elysia checks a body twice (Check, then Decode); `POST /prospects` cost 669 → 475 µs of server
 * CPU (docs/performance.md). createApp calls this, after every import has run.
 */
export function registerStringFormats(): void {
  FormatRegistry.Set("email", (value) => emailPattern.test(value));
}

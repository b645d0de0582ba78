/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header,
 * `<version>-<trace-id>-<parent-id>-<flags>` in lowercase hex.
 */
export interface TraceContext {
  /** 32 hex digits, not all zero. */
  traceId: string;
  /** The caller's span (16 hex digits), or null when this process started the trace. */
  parentId: string | null;
  /** 2 hex digits; 01 = sampled. */
  flags: string;
}

// Version 00 has exactly four fields; a later version may append more after a dash (the spec
// says to parse the first four and ignore the rest). Version ff is invalid.
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const zeroTrace = "0".repeat(32);
const zeroSpan = "0".repeat(16);

/** The context of a valid `traceparent`; null for an absent or invalid one (which is then ignored). */
export function parseTraceparent(value: string | null): TraceContext | null {
  if (value === null || value.length > 512) return null;
  const match = traceparentPattern.exec(value);
  if (!match) return null;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (traceId === zeroTrace || parentId === zeroSpan) return null;
  return { traceId, parentId, flags };
}

/** A new trace, for a request that brought none. */
export function newTraceContext(): TraceContext {
  return { traceId: newTraceId(), parentId: null, flags: "01" };
}

/** A new trace id (32 hex digits, not all zero), e.g. for a usage row whose request had none. */
export function newTraceId(): string {
  return randomHex(16);
}

/** The `traceparent` for a call made within `trace`: same trace id, a new span id as the parent. */
export function childTraceparent(trace: Pick<TraceContext, "traceId" | "flags">): string {
  return `00-${trace.traceId}-${randomHex(8)}-${trace.flags}`;
}

// Drawn 4 KiB at a time, as request ids are, and hex-encoded once per draw: one getRandomValues
// and one encoding per 256 trace ids; each id is then a slice of that text.
const pool = Buffer.alloc(4096);
let poolHex = "";
let next = pool.length;

function randomHex(bytes: number): string {
  if (next + bytes > pool.length) {
    crypto.getRandomValues(pool);
    poolHex = pool.toString("hex");
    next = 0;
  }
  const start = next;
  next += bytes;
  // All zero is invalid: a chance of 2^-64 at worst, but a value we send must be valid.
  let any = 0;
  for (let i = start; i < next; i++) any |= pool[i] as number;
  return any === 0 ? randomHex(bytes) : poolHex.slice(start * 2, next * 2);
}

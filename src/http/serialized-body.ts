import type { Encoding } from "./compression";
import { weakEtag } from "./etag";

/** A value's JSON text and weak ETag, made once for a value sent many times; its byte length and compressed forms once asked for. */
export interface SerializedBody {
  body: string;
  etag: string;
  bytes?: number;
  encoded?: Partial<Record<Encoding, Uint8Array>>;
}

const serialized = new WeakMap<object, SerializedBody>();

/**
 * Serializes `value` now and keeps the text beside it, so that the response finisher sends a value
 * that is answered again and again (a cached page) without `JSON.stringify` and the ETag's hash
 * each time (nor compression, for a client that asks for it). The value must not change
 * afterwards: what was serialized is what is sent.
 */
export function serializeOnce(value: object): SerializedBody {
  let known = serialized.get(value);
  if (!known) {
    const body = JSON.stringify(value);
    known = { body, etag: weakEtag(body) };
    serialized.set(value, known);
  }
  return known;
}

/** What serializeOnce kept for this value, if it was given it. */
export function serializedBodyOf(value: unknown): SerializedBody | undefined {
  return typeof value === "object" && value !== null ? serialized.get(value) : undefined;
}

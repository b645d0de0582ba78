import { weakEtag } from "./etag";

/** A value's JSON text and weak ETag, made once for a value sent many times. */
export interface SerializedBody {
  body: string;
  etag: string;
}

const serialized = new WeakMap<object, SerializedBody>();

/**
 * Serializes `value` now and keeps the text beside it, so that the response finisher sends a value
 * that is answered again and again (a cached page) without `JSON.stringify` and the ETag's hash
 * each time. The value must not change afterwards: what was serialized is what is sent.
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

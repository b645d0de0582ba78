import fc from "fast-check";

/** The JSON Schema members of TypeBox schemas (Elysia's `t`) that generation reads. */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  maxItems?: number;
}

/** Strings that have broken parsers, drivers and log formats before. */
const nastyStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfff\ud800y",
  "\uFEFFbom",
  "\u202Eevil",
  "e\u0301",
  "𝒳𝒴𝒵",
  "\r\nX-Injected: 1",
  "\u001b[31mred",
  "%00",
  "%",
  "%%%",
  "../../etc/passwd",
  "' OR 1=1 --",
  "'); drop table users; --",
  "<script>alert(1)</script>",
  // A template-injection probe, literally.
  "$" + "{7*7}",
  "__proto__",
  "constructor",
  "null",
  "NaN",
  "-1",
  "1e400",
  "9".repeat(400),
  "2026-02-30T25:61:61Z",
  "9999-12-31T23:59:60Z",
  "+275760-09-13T00:00:00.001Z",
  "0000-00-00T00:00:00Z",
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...nastyStrings),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.integer({ min: 300, max: 20_000 }).map((n) => "x".repeat(n)),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 1e21, -0, 0.5, 101, -1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

const pollution = fc.constantFrom<unknown>(
  JSON.parse('{"__proto__":{"polluted":true}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
);

/** Any JSON value, weighted towards the shapes validators mishandle. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  pollution,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileString, { maxLength: 5 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 4 }),
);

/** Values for members by name (ids of real resources, a known password), so valid input reaches the handler. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

/**
 * A value the schema accepts, as far as generation can tell, made of awkward but legal parts:
 * unicode, NUL, lone surrogates, quotes, extreme years and boundary numbers.
 */
export function validOf(schema: Schema, hints: Hints = {}): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((member) => validOf(member, hints)));
  switch (schema.type) {
    case "object":
      return objectOf(schema, (member, name) => {
        const valid = validOf(member, hints);
        const hint = hints[name];
        return hint ? fc.oneof(hint, valid) : valid;
      });
    case "array":
      return fc.array(validOf(schema.items ?? {}, hints), { maxLength: schema.maxItems ?? 4 });
    case "string":
      return stringOf(schema);
    case "integer":
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 });
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return hostileValue;
  }
}

/** An object of the schema's shape whose members are each sometimes missing, hostile or extra. */
export function mutatedOf(schema: Schema, hints: Hints = {}): fc.Arbitrary<unknown> {
  if (schema.type !== "object") return fc.oneof(validOf(schema, hints), hostileValue);
  return objectOf(schema, (member) => fc.oneof({ weight: 3, arbitrary: validOf(member, hints) }, hostileValue), true);
}

function objectOf(
  schema: Schema,
  memberOf: (member: Schema, name: string) => fc.Arbitrary<unknown>,
  mutate = false,
): fc.Arbitrary<Record<string, unknown>> {
  const required = new Set(schema.required ?? []);
  const members = Object.entries(schema.properties ?? {}).map(([name, member]) => {
    // Mutated objects sometimes lack a required member; optional members are present half the time.
    const freq = required.has(name) ? (mutate ? 8 : 0) : 2;
    const value = freq === 0 ? memberOf(member, name) : fc.option(memberOf(member, name), { freq, nil: undefined });
    return value.map((v) => [name, v] as const);
  });
  const extra = mutate
    ? fc.option(fc.dictionary(hostileString, hostileValue, { maxKeys: 3 }), { freq: 3, nil: undefined })
    : fc.constant(undefined);
  return fc.tuple(fc.tuple(...members), extra).map(([pairs, more]) => {
    const out: Record<string, unknown> = { ...more };
    for (const [name, value] of pairs) if (value !== undefined) out[name] = value;
    return out;
  });
}

/** Legal characters that are awkward downstream: NUL, a lone surrogate, bidi, combining, astral, quotes. */
const awkwardUnit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
  fc.constantFrom("\u0000", "\ud800", "\u202e", "e\u0301", "𝒳", "'", '"', "\\", "%", "<", "\r", "\t", "\ufeff"),
);

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 64, 2000);
  const fit = (s: string) => (s.length < min ? s.padEnd(min, "a") : s.slice(0, max));
  const plain = fc.string({ unit: awkwardUnit, maxLength: Math.min(max, 60) }).map(fit);
  if (schema.format === "email") return fc.emailAddress().filter((e) => e.length <= max);
  if (schema.format === "date-time") {
    const instant = fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true });
    return fc.oneof(
      instant.map((d) => d.toISOString()),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).map(fit);
  return fc.oneof(plain, fc.constant(fit("x".repeat(max))));
}

/** A request body: JSON of some value, or raw bytes that are not JSON or not UTF-8 at all. */
export type Body = { kind: "json"; value: unknown } | { kind: "raw"; bytes: Uint8Array };

const rawBodies: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
    new TextEncoder().encode('{"a":"b\u0000c"}'),
    new TextEncoder().encode('{"a":'),
    new TextEncoder().encode(`${"[".repeat(5000)}${"]".repeat(5000)}`),
    new TextEncoder().encode('{"a":1,"a":2}'),
    new TextEncoder().encode("\uFEFF{}"),
  ),
);

/** Bodies for a route: valid, mutated, of another type altogether, or not JSON. */
export function bodyOf(schema: Schema | undefined, hints: Hints = {}): fc.Arbitrary<Body> {
  const json = (value: fc.Arbitrary<unknown>) => value.map((v): Body => ({ kind: "json", value: v }));
  return fc.oneof(
    { weight: schema ? 3 : 0, arbitrary: json(schema ? validOf(schema, hints) : hostileValue) },
    { weight: schema ? 3 : 0, arbitrary: json(schema ? mutatedOf(schema, hints) : hostileValue) },
    { weight: 1, arbitrary: json(hostileValue) },
    { weight: 1, arbitrary: rawBodies.map((bytes): Body => ({ kind: "raw", bytes })) },
  );
}

/** Percent-encodes every byte that is not unreserved, after UTF-8 (lone surrogates become U+FFFD). */
export function encodeComponent(value: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Already-encoded fragments that do not decode: bad escapes and bytes that are not UTF-8. */
const rawEncoded = fc.constantFrom("%", "%G1", "%FF%FE", "%C3%28", "%E0%80%AF", "%ED%A0%80", "%00", "%2e%2e", "%2F");

/** A query string for a route's query schema: its members near-valid, repeated, or junk beside them. */
export function queryOf(schema: Schema | undefined): fc.Arbitrary<string> {
  const names = Object.keys(schema?.properties ?? {});
  const nameArb = names.length > 0 ? fc.oneof(fc.constantFrom(...names), hostileString) : hostileString;
  const valueArb = fc.oneof(
    hostileValue.map((v) => encodeComponent(typeof v === "string" ? v : (JSON.stringify(v) ?? ""))),
    ...Object.values(schema?.properties ?? {}).map((member) =>
      validOf(member).map((v) => encodeComponent(typeof v === "string" ? v : (JSON.stringify(v) ?? ""))),
    ),
    rawEncoded,
  );
  const pair = fc.tuple(nameArb, valueArb).map(([name, value]) => `${encodeComponent(name)}=${value}`);
  const special = fc.constantFrom(
    "__proto__[polluted]=true",
    "constructor[prototype][polluted]=true",
    "a[]=1&a[]=2",
    "=",
    "&&",
    "limit",
  );
  return fc
    .array(fc.oneof({ weight: 4, arbitrary: pair }, { weight: 1, arbitrary: special }), { maxLength: 5 })
    .map((parts) => parts.join("&"));
}

/** A path segment in place of a route's :param: a real id, or something hostile, encoded or raw. */
export function segmentOf(realId: string | undefined): fc.Arbitrary<string> {
  const hostile = fc.oneof(hostileString.map(encodeComponent), rawEncoded);
  return realId ? fc.oneof(fc.constant(realId), hostile) : hostile;
}

/** Header values a client can send (Latin-1, no CR/LF), for routes whose schema names headers. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary-ascii", maxLength: 300 }).map((s) => s.replace(/[\r\n\0]/g, "")),
  fc.constantFrom("", " ", "é", "\u00ff".repeat(10), "x".repeat(300)),
);

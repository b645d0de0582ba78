/** One build of the API in an A/B run (bench/compare.ts). */
export interface Variant {
  label: string;
  /** Another checkout to run instead of this one. */
  tree?: string;
  /** Settings over the bench's; an empty value removes the setting. */
  env: Record<string, string>;
}

/** `label[@tree][:KEY=VALUE,...]`: `head`, `before@/tmp/before`, `memory:REDIS_URL=,LOG_FORMAT=none`. */
export function parseVariant(raw: string): Variant {
  const colon = raw.indexOf(":");
  const head = colon < 0 ? raw : raw.slice(0, colon);
  const settings = colon < 0 ? "" : raw.slice(colon + 1);
  const at = head.indexOf("@");
  const label = at < 0 ? head : head.slice(0, at);
  const tree = at < 0 ? undefined : head.slice(at + 1);
  if (!/^[\w.-]+$/.test(label)) throw new Error(`${raw}: a variant needs a label of letters, digits, . _ or -`);
  if (tree === "") throw new Error(`${raw}: @ needs a path`);
  const env: Record<string, string> = {};
  for (const pair of settings.split(",").filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new Error(`${raw}: expected KEY=VALUE, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { label, tree, env };
}

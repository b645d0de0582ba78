/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must be
 * a HELP, a TYPE, another comment, or a sample of a declared family; it throws on the first line
 * that is not, on a series that appears twice, and on a histogram whose buckets do not add up.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const metricName = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const labelName = "[a-zA-Z_][a-zA-Z0-9_]*";
const labelValue = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
// Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
const number =
  "[+-]?(?:[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn]|\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)";
const sampleLine = new RegExp(
  `^(${metricName})(?:\\{((?:${labelName}=${labelValue})(?:,${labelName}=${labelValue})*,?)?\\})? (${number})(?: -?\\d+)?$`,
);
const helpLine = new RegExp(`^# HELP (${metricName}) (.*)$`);
const typeLine = new RegExp(`^# TYPE (${metricName}) (counter|gauge|histogram|summary|untyped)$`);
const labelPair = new RegExp(`(${labelName})=(${labelValue})`, "g");
const suffixes: Record<Family["type"], string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    const help = helpLine.exec(line);
    if (help) {
      const family = familyFor(families, help[1] as string, where);
      if (family.help !== undefined) throw new Error(`second HELP, ${where}`);
      family.help = help[2];
      return;
    }
    const type = typeLine.exec(line);
    if (type) {
      const family = familyFor(families, type[1] as string, where);
      if (family.samples.length > 0 || family.type !== "untyped") throw new Error(`TYPE after samples, ${where}`);
      family.type = type[2] as Family["type"];
      return;
    }
    if (line.startsWith("#")) {
      if (/^# (HELP|TYPE) /.test(line)) throw new Error(`malformed ${line.slice(2, 6)}, ${where}`);
      return;
    }
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not a sample, ${where}`);
    const [, name, rawLabels, rawValue] = match as unknown as [string, string, string | undefined, string];
    const family = ownerOf(families, name);
    if (!family) throw new Error(`sample of an undeclared family, ${where}`);
    const labels = parseLabels(rawLabels ?? "", where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series, ${where}`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(rawValue) });
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

/** The value of one series, or undefined when it is absent. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return undefined;
}

function familyFor(families: Map<string, Family>, name: string, where: string): Family {
  let family = families.get(name);
  if (!family) {
    if (ownerOf(families, name)) throw new Error(`family declared after its samples, ${where}`);
    family = { name, type: "untyped", samples: [] };
    families.set(name, family);
  }
  return family;
}

function ownerOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  for (const family of families.values()) {
    if (suffixes[family.type].some((suffix) => `${family.name}${suffix}` === sampleName)) return family;
  }
  return undefined;
}

function parseLabels(raw: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, quoted] of raw.matchAll(labelPair)) {
    if ((name as string) in labels) throw new Error(`label ${name} twice, ${where}`);
    labels[name as string] = (quoted as string).slice(1, -1).replace(/\\(["\\n])/g, (_, c) => (c === "n" ? "\n" : c));
  }
  return labels;
}

function parseValue(raw: string): number {
  if (/^[+-]?inf(inity)?$/i.test(raw)) return raw.startsWith("-") ? -Infinity : Infinity;
  return /^[+-]?nan$/i.test(raw) ? Number.NaN : Number(raw);
}

/** Buckets are cumulative and end with le="+Inf", which equals _count, per label set. */
function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: Sample[]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      group.buckets.push(sample);
    } else if (sample.name.endsWith("_count")) group.count = sample.value;
  }
  for (const [key, group] of groups) {
    const bounds = group.buckets.map((b) => parseValue(b.labels.le as string));
    const last = group.buckets.at(-1);
    if (last?.labels.le !== "+Inf") throw new Error(`${family.name}${key}: no +Inf bucket`);
    group.buckets.forEach((bucket, i) => {
      if (i > 0 && (bounds[i] as number) <= (bounds[i - 1] as number))
        throw new Error(`${family.name}: le out of order`);
      if (i > 0 && bucket.value < (group.buckets[i - 1] as Sample).value)
        throw new Error(`${family.name}: not cumulative`);
    });
    if (group.count !== last.value) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
  }
}

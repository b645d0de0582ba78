export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile → stages of instructions: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { keyword, args } of instructions(text)) {
    if (keyword === "FROM") {
      const [image = "", as, name] = args.split(/\s+/).filter((w) => !w.startsWith("--"));
      stages.push({ image, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return stages;
}

/** The last instruction with this keyword in a stage (later ones override earlier ones). */
export function last(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.findLast((i) => i.keyword === keyword)?.args;
}

/** An exec-form (JSON array) argument list, or undefined for shell form. */
export function execForm(args: string | undefined): string[] | undefined {
  if (!args?.trim().startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? parsed : undefined;
}

/** HEALTHCHECK's command in exec form, without its --interval/--timeout options. */
export function healthcheckCommand(stage: Stage): string[] | undefined {
  const args = last(stage, "HEALTHCHECK") ?? "";
  const at = args.indexOf("CMD ");
  return at < 0 ? undefined : execForm(args.slice(at + "CMD ".length));
}

/** ENV's key=value pairs of a stage, later values winning. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of stage.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args)) {
    for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      if (key && value) env[key] = value.replace(/^"|"$/g, "");
    }
  }
  return env;
}

function instructions(text: string): Instruction[] {
  const logical = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return logical
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const keyword = line.split(/\s/, 1)[0] ?? "";
      return { keyword: keyword.toUpperCase(), args: line.slice(keyword.length).trim() };
    });
}

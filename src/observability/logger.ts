import { createLineWriter, type LineWriter } from "./line-writer";

type Level = "debug" | "info" | "warn" | "error";
type Fields = Record<string, unknown>;

/** Structured server-side log: one JSON object a line, buffered. Requests are logged by access-log. */
export interface Logger {
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  flush(): void;
}

export function createLogger(writer: LineWriter = createLineWriter((c) => process.stderr.write(c))): Logger {
  const log = (level: Level, msg: string, fields?: Fields) => {
    writer.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
    // Warnings and errors must not sit in a buffer if the process is about to die.
    if (level === "error" || level === "warn") writer.flush();
  };
  return {
    info: (msg, fields) => log("info", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    error: (msg, fields) => log("error", msg, fields),
    flush: () => writer.flush(),
  };
}

/** A logger that keeps lines in memory, for tests that assert what was logged. */
export function createMemoryLogger(): Logger & { lines: Fields[] } {
  const lines: Fields[] = [];
  const log = (level: Level) => (msg: string, fields?: Fields) => {
    lines.push({ level, msg, ...fields });
  };
  return { lines, info: log("info"), warn: log("warn"), error: log("error"), flush() {} };
}

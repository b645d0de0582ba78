import { Elysia } from "elysia";
import type { LogFormat } from "../config";
import { type RequestState, requestState } from "../http/request-state";
import type { LineWriter } from "./line-writer";

export interface AccessRecord {
  request: Request;
  state: RequestState;
  path: string;
  /** Route template that matched (/api/v1/prospects/:id); undefined when none did (404, 405). */
  route?: string;
  status: number;
  bytes: number | undefined;
  durationMs: number;
}

/** Observers run after the response is sent: access log, usage rows, metrics. */
export type ResponseObserver = (record: AccessRecord) => void;

/**
 * After each response, hands one record to every observer. Nothing here runs before the client has
 * its bytes, and the observers only buffer.
 */
export function responseObservers(observers: ResponseObserver[]) {
  return new Elysia({ name: "response-observers" }).onAfterResponse(
    { as: "global" },
    ({ request, set, path, route, responseValue }) => {
      const state = requestState(request);
      if (!state || observers.length === 0) return;
      if (route) state.route ??= route;
      const response = responseValue instanceof Response ? responseValue : undefined;
      const record: AccessRecord = {
        request,
        state,
        path,
        route: state.route,
        status: response?.status ?? (typeof set.status === "number" ? set.status : 200),
        bytes: state.bytes ?? bodySize(responseValue),
        durationMs: performance.now() - state.startedAt,
      };
      for (const observe of observers) observe(record);
    },
  );
}

function bodySize(value: unknown): number | undefined {
  if (value instanceof Response) {
    const length = value.headers.get("content-length");
    return length === null ? undefined : Number(length);
  }
  if (typeof value === "string") return Buffer.byteLength(value);
  if (value !== undefined && value !== null && typeof value === "object") return undefined;
  return undefined;
}

/** Access log in the seed's formats: `combined` (production), `dev` (development), or `json`. */
export function accessLog(format: LogFormat, writer: LineWriter): ResponseObserver | undefined {
  if (format === "none") return undefined;
  const line = formatters[format];
  return (record) => writer.write(line(record));
}

const formatters: Record<Exclude<LogFormat, "none">, (r: AccessRecord) => string> = {
  combined: ({ request, state, status, bytes }) => {
    const referer = request.headers.get("referer") ?? "-";
    const agent = request.headers.get("user-agent") ?? "-";
    return `${state.ip} - - [${clfNow()}] "${request.method} ${pathAndQuery(request.url)} HTTP/1.1" ${status} ${bytes ?? "-"} "${referer}" "${agent}"`;
  },
  dev: ({ request, path, status, durationMs, bytes }) =>
    `${request.method} ${path} ${status} ${durationMs.toFixed(3)} ms - ${bytes ?? "-"}`,
  json: ({ request, state, path, status, durationMs, bytes }) =>
    JSON.stringify({
      time: new Date().toISOString(),
      level: "info",
      msg: "request",
      requestId: state.id,
      method: request.method,
      path,
      route: state.route,
      status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytes,
      ip: state.ip,
      principalId: state.principal?.id,
    }),
};

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// The timestamp has one-second resolution: format it once per second, not once per request.
let clfSecond = -1;
let clfText = "";

function clfNow(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== clfSecond) {
    clfSecond = second;
    clfText = clfDate(new Date(second * 1000));
  }
  return clfText;
}

function clfDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** `/path?query` of an absolute request URL, without parsing it into a URL object. */
function pathAndQuery(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  if (slash === -1) return "/";
  const hash = url.indexOf("#", slash);
  return hash === -1 ? url.slice(slash) : url.slice(slash, hash);
}

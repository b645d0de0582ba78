import type { LogFormat } from "../config";
import { pathOf } from "../http/host-header";
import { type RequestState, requestState } from "../http/request-state";
import { traceOf } from "../http/trace";
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
 * Hands one record per answered request to every observer, after the response is sent: the
 * requests answered in one turn of the event loop are kept in three arrays and observed in one
 * `setImmediate`. Elysia's own afterResponse hook costs a `setImmediate`, an async closure and the
 * whole request context kept alive per request. Called by the in-flight guard (src/http/in-flight.ts),
 * which sees every response the app gives, whichever hook produced it.
 */
export function createResponseDispatch(observers: readonly ResponseObserver[]) {
  let requests: Request[] = [];
  let responses: Response[] = [];
  let durations: number[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = { requests, responses, durations };
    requests = [];
    responses = [];
    durations = [];
    for (let i = 0; i < batch.requests.length; i++) {
      const request = batch.requests[i] as Request;
      const response = batch.responses[i] as Response;
      const state = requestState(request);
      // A timed-out request was recorded as the 503 its client got (src/http/in-flight.ts).
      if (!state || state.timedOut) continue;
      const record: AccessRecord = {
        request,
        state,
        path: state.path ?? pathOf(request.url),
        route: state.route,
        status: response.status,
        bytes: state.bytes ?? contentLength(response),
        durationMs: batch.durations[i] as number,
      };
      for (const observe of observers) observe(record);
    }
  };

  return {
    /** The request was answered with `response` just now. */
    answered(request: Request, response: unknown, startedAt: number): void {
      if (observers.length === 0 || !(response instanceof Response)) return;
      requests.push(request);
      responses.push(response);
      durations.push(performance.now() - (requestState(request)?.startedAt ?? startedAt));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
}

export type ResponseDispatch = ReturnType<typeof createResponseDispatch>;

function contentLength(response: Response): number | undefined {
  const length = response.headers.get("content-length");
  return length === null ? undefined : Number(length);
}

/** Access log in the seed's formats: `combined` (production), `dev` (development), or `json`. */
export function accessLog(format: LogFormat, writer: LineWriter, capacity = 512): ResponseObserver | undefined {
  if (format === "none") return undefined;
  const entries = createAccessEntries(capacity, formatters[format], {
    withAgent: format === "combined",
    withTrace: format === "json",
  });
  writer.attach(entries);
  return (record) => {
    if (entries.add(record)) writer.flush();
    else writer.wake();
  };
}

/**
 * A request's access-log fields in preallocated columns, formatted into lines only when the writer
 * flushes: on the request path an entry is a few stores (and, for `combined`, two header reads).
 * The writer is asked to flush when `capacity` entries wait, so a flush formats at most that many.
 */
function createAccessEntries(
  capacity: number,
  line: (e: Entries, i: number) => string,
  { withAgent, withTrace }: { withAgent: boolean; withTrace: boolean },
) {
  const columns: Entries = {
    ip: new Array(capacity).fill(""),
    method: new Array(capacity).fill(""),
    url: new Array(capacity).fill(""),
    path: new Array(capacity).fill(""),
    route: new Array(capacity).fill(undefined),
    requestId: new Array(capacity).fill(""),
    traceId: new Array(capacity).fill(undefined),
    principalId: new Array(capacity).fill(undefined),
    referer: new Array(capacity).fill(null),
    agent: new Array(capacity).fill(null),
    status: new Uint16Array(capacity),
    bytes: new Float64Array(capacity),
    durationMs: new Float64Array(capacity),
    time: new Float64Array(capacity),
  };
  let count = 0;
  return {
    /** Records one request; true when the columns are full and must be drained now. */
    add({ request, state, path, status, bytes, durationMs }: AccessRecord): boolean {
      const i = count++;
      columns.ip[i] = state.ip;
      columns.method[i] = request.method;
      columns.url[i] = request.url;
      columns.path[i] = path;
      columns.route[i] = state.route;
      columns.requestId[i] = state.id;
      columns.principalId[i] = state.principal?.id;
      if (withTrace) columns.traceId[i] = traceOf(request).traceId;
      if (withAgent) {
        columns.referer[i] = request.headers.get("referer");
        columns.agent[i] = request.headers.get("user-agent");
      }
      columns.status[i] = status;
      columns.bytes[i] = bytes ?? -1;
      columns.durationMs[i] = durationMs;
      columns.time[i] = Date.now();
      return count === capacity;
    },
    drain(lines: string[]) {
      for (let i = 0; i < count; i++) lines.push(line(columns, i));
      // Let go of the strings so an idle log holds no request's data.
      for (let i = 0; i < count; i++) {
        columns.url[i] = columns.path[i] = columns.requestId[i] = "";
        columns.referer[i] = columns.agent[i] = null;
        columns.route[i] = columns.principalId[i] = columns.traceId[i] = undefined;
      }
      count = 0;
    },
  };
}

interface Entries {
  ip: string[];
  method: string[];
  url: string[];
  path: string[];
  route: Array<string | undefined>;
  requestId: string[];
  traceId: Array<string | undefined>;
  principalId: Array<string | undefined>;
  referer: Array<string | null>;
  agent: Array<string | null>;
  status: Uint16Array;
  /** -1: unknown. */
  bytes: Float64Array;
  durationMs: Float64Array;
  time: Float64Array;
}

const size = (bytes: number) => (bytes < 0 ? "-" : String(bytes));

const formatters: Record<Exclude<LogFormat, "none">, (e: Entries, i: number) => string> = {
  combined: (e, i) =>
    `${e.ip[i]} - - [${clfAt(e.time[i] as number)}] "${e.method[i]} ${pathAndQuery(e.url[i] as string)} HTTP/1.1" ` +
    `${e.status[i]} ${size(e.bytes[i] as number)} "${e.referer[i] ?? "-"}" "${e.agent[i] ?? "-"}"`,
  dev: (e, i) =>
    `${e.method[i]} ${e.path[i]} ${e.status[i]} ${(e.durationMs[i] as number).toFixed(3)} ms - ${size(e.bytes[i] as number)}`,
  json: (e, i) =>
    JSON.stringify({
      time: new Date(e.time[i] as number).toISOString(),
      level: "info",
      msg: "request",
      requestId: e.requestId[i],
      traceId: e.traceId[i],
      method: e.method[i],
      path: e.path[i],
      route: e.route[i],
      status: e.status[i],
      durationMs: Math.round((e.durationMs[i] as number) * 1000) / 1000,
      bytes: (e.bytes[i] as number) < 0 ? undefined : e.bytes[i],
      ip: e.ip[i],
      principalId: e.principalId[i],
    }),
};

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// The timestamp has one-second resolution: format it once per second, not once per line.
let clfSecond = -1;
let clfText = "";

function clfAt(ms: number): string {
  const second = Math.floor(ms / 1000);
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

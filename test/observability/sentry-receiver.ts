import type { Event } from "@sentry/bun";

/** One item of a Sentry envelope: its header and its JSON payload. */
export interface EnvelopeItem {
  header: { type: string; [key: string]: unknown };
  payload: Record<string, unknown>;
}

export interface ReceivedEnvelope {
  /** The request exactly as it arrived, for searching for secrets. */
  raw: string;
  path: string;
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

export interface SentryReceiver {
  /** A DSN that points the SDK at this receiver. */
  dsn: string;
  envelopes: ReceivedEnvelope[];
  /** The event items received so far. */
  events(): Event[];
  close(): Promise<void>;
}

/**
 * A stand-in for Sentry's ingest endpoint on 127.0.0.1: accepts the SDK's real envelope POSTs
 * (`/api/<project>/envelope/`) and keeps them. An envelope is newline-separated JSON: the
 * envelope header, then for each item its header and its payload.
 */
export function startSentryReceiver(): SentryReceiver {
  const envelopes: ReceivedEnvelope[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || url.pathname !== "/api/1/envelope/") return new Response(null, { status: 404 });
      const raw = await request.text();
      envelopes.push({ raw, path: url.pathname, ...parseEnvelope(raw) });
      return Response.json({});
    },
  });
  return {
    dsn: `http://publickey@127.0.0.1:${server.port}/1`,
    envelopes,
    events: () =>
      envelopes.flatMap((envelope) =>
        envelope.items.filter((i) => i.header.type === "event").map((i) => i.payload as Event),
      ),
    close: () => server.stop(true),
  };
}

export function parseEnvelope(raw: string): { header: Record<string, unknown>; items: EnvelopeItem[] } {
  const lines = raw.split("\n").filter((line) => line.length > 0);
  const [first, ...rest] = lines;
  if (first === undefined) throw new Error("empty envelope");
  const items: EnvelopeItem[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const header = JSON.parse(rest[i] as string) as EnvelopeItem["header"];
    const body = rest[i + 1];
    if (body === undefined) throw new Error(`envelope item ${header.type} has no payload`);
    items.push({ header, payload: JSON.parse(body) as Record<string, unknown> });
  }
  return { header: JSON.parse(first) as Record<string, unknown>, items };
}

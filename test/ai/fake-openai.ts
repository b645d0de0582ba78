import type { Server } from "bun";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  traceparent: string | null;
  body: {
    model?: string;
    messages?: Array<{ role: string; content: string }>;
    response_format?: unknown;
  };
}

/** How the fake answers the next requests: a status and raw body, or a delay before answering. */
export type Behaviour = (request: RecordedRequest) => Promise<Response> | Response;

export interface FakeOpenAi {
  /** AI_BASE_URL for this server (…/v1). */
  baseUrl: string;
  requests: RecordedRequest[];
  behave(behaviour: Behaviour): void;
  stop(): Promise<void>;
}

/** A chat.completion as OpenAI's API writes it, with `content` as the assistant's message. */
export function completion(content: string): Response {
  return Response.json({
    id: "chatcmpl-test",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
  });
}

/** An OpenAI-compatible chat-completions endpoint on a free loopback port. */
export function startFakeOpenAi(): FakeOpenAi {
  const requests: RecordedRequest[] = [];
  let behaviour: Behaviour = () => completion(JSON.stringify({ subject: "Hello", body: "Hi there" }));
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST" || path !== "/v1/chat/completions") {
        return Response.json({ error: { message: "Unknown route" } }, { status: 404 });
      }
      const recorded: RecordedRequest = {
        method: request.method,
        path,
        authorization: request.headers.get("authorization"),
        traceparent: request.headers.get("traceparent"),
        body: (await request.json()) as RecordedRequest["body"],
      };
      requests.push(recorded);
      return behaviour(recorded);
    },
  });
  return {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    behave(next) {
      behaviour = next;
    },
    stop: () => server.stop(true),
  };
}

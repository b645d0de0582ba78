import type { Config } from "../../config";
import { AppError, httpError } from "../../http/errors";
import type { CircuitBreaker } from "../../lib/circuit-breaker";
import type { Logger } from "../../observability/logger";

export interface ChatMessage {
  role: "system" | "user";
  content: string;
}

/** A chat model that answers in JSON. Failures are AppErrors: 502, or 504 when it took too long. */
export interface AiProvider {
  /** One completion in JSON mode; resolves with the assistant message's content, unparsed. */
  completeJson(messages: ChatMessage[], call?: CallContext): Promise<string>;
}

/** What a call carries on behalf of the request that made it. */
export interface CallContext {
  /** W3C traceparent sent with the call, so the provider's side can be tied to the request. */
  traceparent?: string;
}

export const providerFailed = "The AI provider could not draft this email, please retry";
export const providerTimedOut = "The AI provider did not answer in time, please retry";
export const providerUnavailable = "The AI provider is unavailable, please retry";

/** Past this, an answer is not a chat completion of a short email. */
const maxResponseBytes = 1024 * 1024;

/**
 * An OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM…):
 * POST {AI_BASE_URL}/chat/completions. Undefined when AI_BASE_URL or AI_API_KEY is missing. The
 * provider's own words never reach the client: they go to the log. With a breaker, repeated
 * failures (502, 504) open it and drafts get a 503 at once until a draft succeeds again.
 */
export function createOpenAiProvider(
  settings: Config["ai"],
  deps: { logger: Logger; fetch?: typeof fetch; breaker?: CircuitBreaker },
): AiProvider | undefined {
  const { baseUrl, apiKey, model, timeoutMs } = settings;
  if (!baseUrl || !apiKey) return undefined;
  const url = `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
  const send = deps.fetch ?? fetch;
  const fail = (reason: string, fields: Record<string, unknown> = {}) => {
    deps.logger.warn("AI provider failed", { reason, ...fields });
    return httpError(502, providerFailed);
  };

  const complete = async (messages: ChatMessage[], call: CallContext = {}): Promise<string> => {
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await send(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${apiKey}`,
          "content-type": "application/json",
          accept: "application/json",
          ...(call.traceparent ? { traceparent: call.traceparent } : {}),
        },
        body: JSON.stringify({ model, messages, response_format: { type: "json_object" } }),
        signal,
        // A redirect would carry our key to wherever it points.
        redirect: "error",
      });
      status = response.status;
      if (Number(response.headers.get("content-length") ?? 0) > maxResponseBytes) {
        await response.body?.cancel();
        throw fail("answer too large", { status });
      }
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        deps.logger.warn("AI provider timed out", { timeoutMs });
        throw httpError(504, providerTimedOut);
      }
      if (error instanceof AppError) throw error;
      throw fail("request failed", { error: String(error) });
    }
    if (status < 200 || status > 299) throw fail("error status", { status, body: text.slice(0, 200) });
    if (text.length > maxResponseBytes) throw fail("answer too large", { status });
    const content = contentOf(text);
    if (content === undefined) throw fail("not a chat completion", { body: text.slice(0, 200) });
    return content;
  };
  const { breaker } = deps;
  if (!breaker) return { completeJson: complete };
  return {
    completeJson(messages, call) {
      if (!breaker.allow()) {
        return Promise.reject(httpError(503, providerUnavailable, { headers: { "Retry-After": "5" } }));
      }
      return complete(messages, call).then(
        (content) => {
          breaker.success();
          return content;
        },
        (error: unknown) => {
          breaker.failure();
          throw error;
        },
      );
    },
  };
}

/** choices[0].message.content of a chat.completion, or undefined when the answer is not one. */
function contentOf(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return undefined;
  const content = (choices[0] as { message?: { content?: unknown } } | undefined)?.message?.content;
  return typeof content === "string" ? content : undefined;
}

import { type DocumentDecoration, t } from "elysia";
import { errorNames } from "../../http/errors";
import { maxSubjectLength } from "./prompt";

export const draftEmailBody = t.Object({
  prospectId: t.String({ minLength: 1, maxLength: 64 }),
  goal: t.String({ minLength: 1, maxLength: 1000 }),
  tone: t.Optional(t.Union([t.Literal("friendly"), t.Literal("formal"), t.Literal("direct")])),
});

type Responses = NonNullable<DocumentDecoration["responses"]>;
type ResponseDoc = Responses[string];

const errorEnvelope: ResponseDoc = {
  description: "",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["success", "error", "message", "statusCode", "timestamp", "path", "method", "requestId"],
        properties: {
          success: { type: "boolean", enum: [false] },
          error: { type: "string" },
          message: { type: "string" },
          statusCode: { type: "integer" },
          timestamp: { type: "string", format: "date-time" },
          path: { type: "string" },
          method: { type: "string" },
          requestId: { type: "string" },
          errors: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
        },
      },
    },
  },
};

function errorResponse(status: number, description: string): ResponseDoc {
  return { ...errorEnvelope, description: `${errorNames[status]}: ${description}` };
}

/**
 * The draft route's responses for the OpenAPI document. Given as `detail.responses` rather than
 * a `response` schema because they only document: the error handler writes every error body.
 */
export const draftEmailResponses: Responses = {
  200: {
    description: "The draft",
    content: {
      "application/json": {
        schema: {
          type: "object",
          required: ["success", "data"],
          properties: {
            success: { type: "boolean", enum: [true] },
            data: {
              type: "object",
              required: ["subject", "body"],
              properties: { subject: { type: "string", maxLength: maxSubjectLength }, body: { type: "string" } },
            },
          },
        },
      },
    },
  },
  401: errorResponse(401, "missing or invalid credentials"),
  403: errorResponse(403, "the caller's role is below user"),
  404: errorResponse(404, "no such prospect in the caller's organization"),
  422: errorResponse(422, "the body is invalid"),
  429: errorResponse(429, "the ai quota is used up"),
  502: errorResponse(502, "the AI provider failed or answered something that is not a draft"),
  503: errorResponse(503, "AI drafting is not configured (AI_BASE_URL, AI_API_KEY)"),
  504: errorResponse(504, "the AI provider did not answer within AI_TIMEOUT_MS"),
};

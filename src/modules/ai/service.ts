import { httpError } from "../../http/errors";
import type { Logger } from "../../observability/logger";
import type { Principal } from "../auth/principal";
import { type Draft, draftMessages, parseDraft, type Tone } from "./prompt";
import { type AiProvider, type CallContext, providerFailed } from "./provider";
import type { AiRepository } from "./repository";

export type AiService = ReturnType<typeof createAiService>;

export const notConfigured = "AI drafting is not configured: set AI_BASE_URL and AI_API_KEY";

export function createAiService(deps: { prospects: AiRepository; provider?: AiProvider; logger: Logger }) {
  const { prospects, provider, logger } = deps;
  return {
    async draftEmail(
      principal: Principal,
      input: { prospectId: string; goal: string; tone?: Tone },
      call: CallContext = {},
    ): Promise<Draft> {
      if (!provider) throw httpError(503, notConfigured);
      const prospect = await prospects.findProspectFacts(principal.organizationId, input.prospectId);
      if (!prospect) throw httpError(404, "Prospect not found");
      const content = await provider.completeJson(draftMessages(prospect, input.goal, input.tone ?? "friendly"), call);
      const draft = parseDraft(content);
      if ("invalid" in draft) {
        logger.warn("AI provider failed", { reason: draft.invalid });
        throw httpError(502, providerFailed);
      }
      return draft;
    },
  };
}

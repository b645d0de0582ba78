import { decodeCursor, toPage } from "../../db/cursor";
import { httpError } from "../../http/errors";
import { listMeta } from "../../http/pagination";
import { isDeliverableAddress } from "../../mail/address";
import type { Principal } from "../auth/principal";
import type { EmailRecord, EmailRepository } from "./repository";

export type EmailService = ReturnType<typeof createEmailService>;

/** What clients see of an email: everything but the organization and who queued it. */
export function publicEmail(record: EmailRecord) {
  const { organizationId: _organization, ...email } = record;
  return email;
}

export function createEmailService(deps: { emails: EmailRepository }) {
  const { emails } = deps;
  return {
    /** Queues an email to a prospect of the caller's organization; the worker sends it. */
    async queue(
      principal: Principal,
      input: { prospectId: string; subject: string; text: string; html?: string },
      traceId: string | null = null,
    ) {
      const to = await emails.findProspectEmail(principal.organizationId, input.prospectId);
      if (to === undefined) throw httpError(404, "Prospect not found");
      if (!isDeliverableAddress(to)) {
        const message = "The prospect's email address cannot receive mail";
        throw httpError(422, message, { details: { prospectId: [message] } });
      }
      const record = await emails.create({
        id: Bun.randomUUIDv7(),
        organizationId: principal.organizationId,
        prospectId: input.prospectId,
        createdBy: principal.userId,
        apiKeyId: principal.apiKeyId,
        to,
        subject: input.subject,
        text: input.text,
        html: input.html ?? null,
        traceId,
      });
      return publicEmail(record);
    },

    /** Another organization's email is a 404, exactly like a missing one. */
    async get(principal: Principal, id: string) {
      const record = await emails.findById(principal.organizationId, id);
      if (!record) throw httpError(404, "Email not found");
      return publicEmail(record);
    },

    async list(principal: Principal, page: { limit: number; cursor?: string; prospectId?: string }) {
      const after = page.cursor ? decodeCursor(page.cursor, ["string", "string"]) : undefined;
      const rows = await emails.list(principal.organizationId, {
        limit: page.limit,
        prospectId: page.prospectId,
        after: after && { createdAt: after[0], id: after[1] },
      });
      const result = toPage(rows, page.limit, (r) => [r.createdAt, r.id]);
      return { data: result.items.map(publicEmail), meta: listMeta(result, page.limit) };
    },
  };
}

import type { Database } from "../../db/database";
import { parseJson } from "../../db/values";
import type { ProspectFacts } from "./prompt";

export type AiRepository = ReturnType<typeof createAiRepository>;

export function createAiRepository(db: Database) {
  const { sql } = db;
  return {
    /**
     * The prompt's prospect, scoped to the organization: another organization's prospect is not
     * found, so its data can never reach a prompt. (Kept here until the prospects module offers
     * a lookup.)
     */
    async findProspectFacts(organizationId: string, prospectId: string): Promise<ProspectFacts | undefined> {
      const rows = await sql`
        SELECT first_name, last_name, company, title, status, tags, notes
        FROM prospects WHERE organization_id = ${organizationId} AND id = ${prospectId}`;
      const row = rows[0];
      if (!row) return undefined;
      return {
        firstName: row.first_name ?? null,
        lastName: row.last_name ?? null,
        company: row.company ?? null,
        title: row.title ?? null,
        status: row.status,
        tags: parseJson<string[]>(row.tags),
        notes: row.notes ?? null,
      };
    },
  };
}

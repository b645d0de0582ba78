import type { Database } from "../../src/db/database";

export interface ProspectInput {
  email: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  title?: string;
  notes?: string;
}

/** A prospect row written directly, so these tests do not depend on the prospects module. */
export async function insertProspect(db: Database, organizationId: string, input: ProspectInput): Promise<string> {
  const id = Bun.randomUUIDv7();
  const now = new Date().toISOString();
  await db.sql`
    INSERT INTO prospects (id, organization_id, email, first_name, last_name, company, title, notes, created_at, updated_at)
    VALUES (${id}, ${organizationId}, ${input.email}, ${input.firstName ?? null}, ${input.lastName ?? null},
            ${input.company ?? null}, ${input.title ?? null}, ${input.notes ?? null}, ${now}, ${now})`;
  return id;
}

/** Polls until `check` holds; fails the test after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** An email as the API shows it. */
export interface EmailJson {
  id: string;
  prospectId: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  messageId: string | null;
  nextAttemptAt: string;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ListJson<T> {
  success: true;
  data: T[];
  meta: { limit: number; nextCursor: string | null; hasMore: boolean };
}

/** The `data` of a success envelope. */
export async function dataOf<T = EmailJson>(response: Response): Promise<T> {
  return ((await response.json()) as { data: T }).data;
}

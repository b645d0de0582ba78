import { httpError } from "../../http/errors";
import type { Principal } from "../auth/principal";
import type { UsageRepository } from "./repository";

export type UsageService = ReturnType<typeof createUsageService>;

const hourMs = 3600_000;
const defaultRangeMs = 24 * hourMs;
const maxRangeDays = 31;

/** The caller's organization's API use per endpoint, over [from, to): last 24 hours by default. */
export function createUsageService(deps: { usage: UsageRepository; now?: () => number }) {
  const { usage } = deps;
  const now = deps.now ?? Date.now;
  return {
    async summary(principal: Principal, query: { from?: string; to?: string }) {
      const range = resolveRange(query, now());
      const endpoints = (await usage.endpointStats(principal.organizationId, range.from, range.to)).map((row) => ({
        ...row,
        errorRate: rate(row.clientErrors + row.serverErrors, row.requests),
      }));
      const requests = endpoints.reduce((sum, e) => sum + e.requests, 0);
      const clientErrors = endpoints.reduce((sum, e) => sum + e.clientErrors, 0);
      const serverErrors = endpoints.reduce((sum, e) => sum + e.serverErrors, 0);
      return {
        from: range.from,
        to: range.to,
        totals: { requests, clientErrors, serverErrors, errorRate: rate(clientErrors + serverErrors, requests) },
        endpoints,
      };
    },
  };
}

function resolveRange(query: { from?: string; to?: string }, nowMs: number): { from: string; to: string } {
  const to = query.to === undefined ? nowMs : Date.parse(query.to);
  const from = query.from === undefined ? to - defaultRangeMs : Date.parse(query.from);
  // A `to` at the very start of the Date range has no 24 hours before it: toISOString would throw.
  if (Number.isNaN(new Date(from).getTime())) {
    throw httpError(422, "Validation failed", { details: { to: ["To must be later than that"] } });
  }
  if (from >= to) throw httpError(422, "Validation failed", { details: { to: ["To must be after from"] } });
  if (to - from > maxRangeDays * 24 * hourMs) {
    throw httpError(422, "Validation failed", {
      details: { from: [`The range must not exceed ${maxRangeDays} days`] },
    });
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** Share of requests, to four decimals; 0 when there were none. */
function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

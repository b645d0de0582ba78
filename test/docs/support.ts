import { createMetrics } from "../../src/observability/metrics";
import { buildTestApp } from "../helpers/app";

/** The document as a running API serves it, /metrics included (an app built with Metrics). */
export async function servedDocument(env: Record<string, string> = {}): Promise<string> {
  const { request } = buildTestApp({ env, deps: { metrics: createMetrics() } });
  const response = await request("/docs/json");
  if (response.status !== 200) throw new Error(`/docs/json answered ${response.status}`);
  return response.text();
}

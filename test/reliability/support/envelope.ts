import { expect } from "bun:test";
import { errorNames } from "../../../src/http/errors";

const errorKeys = ["error", "message", "method", "path", "requestId", "statusCode", "success", "timestamp"];

/**
 * The contract's error envelope, checked on a parsed body when the Response is gone (a probe of a
 * server process) or when the status is not known in advance (generated input).
 */
export function expectErrorBody(body: unknown, status: number): void {
  expect(typeof body).toBe("object");
  const record = body as Record<string, unknown>;
  const keys = status === 422 ? [...errorKeys, "errors"].sort() : errorKeys;
  expect(Object.keys(record).sort()).toEqual(keys);
  expect(record).toMatchObject({ success: false, statusCode: status, error: errorNames[status] });
  expect(typeof record.message).toBe("string");
  expect(record.requestId).toMatch(/^req_\d{10}_[a-z0-9]{6,}$/);
}

/**
 * Any answer an API may give to input it did not expect: a 4xx envelope, or a 2xx success body.
 * Returns a description of what is wrong, or undefined; generated-input tests collect these so
 * that one failure names the request that caused it.
 */
export async function envelopeProblem(response: Response): Promise<string | undefined> {
  const { status } = response;
  if (status >= 500) return `status ${status}: ${await response.text()}`;
  if (status === 204 || status === 304) return undefined;
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    return `status ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  if (status < 300) return body.success === true ? undefined : `status ${status} without success:true`;
  if (status < 400 || !errorNames[status]) return `unexpected status ${status}`;
  const keys = status === 422 ? [...errorKeys, "errors"].sort() : errorKeys;
  if (JSON.stringify(Object.keys(body).sort()) !== JSON.stringify(keys)) {
    return `status ${status} envelope has members ${Object.keys(body).sort().join(",")}`;
  }
  if (body.success !== false || body.statusCode !== status || body.error !== errorNames[status]) {
    return `status ${status} envelope says ${body.error}/${body.statusCode}`;
  }
  if (response.headers.get("x-request-id") !== body.requestId) return "X-Request-Id does not match requestId";
  return undefined;
}

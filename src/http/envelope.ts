import { errorNames, type FieldErrors } from "./errors";
import type { ErrorEnvelope, ListMeta } from "./schemas";

export type { ErrorEnvelope, ListMeta };

export function ok<T>(data: T): { success: true; data: T } {
  return { success: true, data };
}

export function list<T>(data: T[], meta: ListMeta): { success: true; data: T[]; meta: ListMeta } {
  return { success: true, data, meta };
}

export function errorEnvelope(input: {
  status: number;
  code?: string;
  message: string;
  path: string;
  method: string;
  requestId: string;
  details?: FieldErrors;
}): ErrorEnvelope {
  const body: ErrorEnvelope = {
    success: false,
    error: input.code ?? errorNames[input.status] ?? "InternalServerError",
    message: input.message,
    statusCode: input.status,
    timestamp: new Date().toISOString(),
    path: input.path,
    method: input.method,
    requestId: input.requestId,
  };
  // The contract allows `errors` on 422 only.
  if (input.status === 422 && input.details) body.errors = input.details;
  return body;
}

export const jsonHeaders = { "content-type": "application/json; charset=utf-8" };

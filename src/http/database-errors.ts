import {
  classifyDatabaseError,
  DatabaseConflictError,
  DatabaseInvalidValueError,
  DatabaseUnavailableError,
  databaseUnavailableMessage,
} from "../db/errors";
import { type AppError, httpError } from "./errors";

/** Seconds a client is asked to wait before retrying a request the database could not serve. */
const retryAfterSeconds = "5";

/**
 * The AppError a client sees for a database error (typed by the database layer, or a driver error
 * it classifies), or undefined for one no client can act on: a bug, left to be a 500.
 */
export function mapDatabaseError(error: unknown): AppError | undefined {
  const typed = classifyDatabaseError(error);
  if (typed instanceof DatabaseUnavailableError) {
    return httpError(503, databaseUnavailableMessage, { headers: { "Retry-After": retryAfterSeconds }, cause: typed });
  }
  if (typed instanceof DatabaseConflictError) {
    const details = typed.field ? { [typed.field]: [typed.message] } : undefined;
    return httpError(409, typed.message, { details, cause: typed });
  }
  if (typed instanceof DatabaseInvalidValueError) {
    if (typed.unrepresentable) return httpError(400, typed.message, { cause: typed });
    const field = typed.field ?? "body";
    return httpError(422, typed.message, { details: { [field]: [typed.detail ?? typed.message] }, cause: typed });
  }
  return undefined;
}

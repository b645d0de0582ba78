/** Error names of the wire contract, by status. */
export const errorNames: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "ValidationError",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

export type FieldErrors = Record<string, string[]>;

/**
 * The one error type of the API. Thrown anywhere on the request path; the envelope plugin's
 * `onError` turns it into the contract's body. It carries no `toResponse` on purpose: that would
 * bypass `onError` and the envelope.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  /** Field errors of a 422. */
  readonly details?: FieldErrors;
  /** Extra response headers (Retry-After, WWW-Authenticate, Allow). */
  readonly headers?: Record<string, string>;
  /** A 5xx the server chose to give under load (counted by a metric): not logged or tracked as a failure. */
  readonly shed?: boolean;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: FieldErrors; headers?: Record<string, string>; cause?: unknown; shed?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
    this.shed = options.shed;
  }
}

/** Shorthand for the common case where the code is the contract's name for the status. */
export function httpError(
  status: number,
  message: string,
  options?: ConstructorParameters<typeof AppError>[3],
): AppError {
  return new AppError(status, errorNames[status] ?? "InternalServerError", message, options);
}

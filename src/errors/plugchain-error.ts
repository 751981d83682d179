/**
 * One error type for the whole proxy. Every failure that reaches a client carries a stable
 * `PLUGCHAIN_<AREA>_<WHAT>` code and the HTTP status it maps to; docs/errors.md lists them all
 * (a test keeps the two in step).
 */
export const ERROR_CODES = {
  PLUGCHAIN_ROUTER_BAD_PATH: 400,
  PLUGCHAIN_ROUTER_DENIED: 403,
  PLUGCHAIN_VALIDATE_SCHEMA: 400,
  PLUGCHAIN_VALIDATE_BAD_JSON: 400,
  PLUGCHAIN_BODY_TOO_LARGE: 413,
  PLUGCHAIN_POLICY_DENIED: 403,
  PLUGCHAIN_HOOK_FAILED: 500,
  PLUGCHAIN_HOOK_TIMEOUT: 504,
  PLUGCHAIN_UPSTREAM_UNREACHABLE: 502,
  PLUGCHAIN_UPSTREAM_BAD_RESPONSE: 502,
  PLUGCHAIN_PLUGIN_UNREACHABLE: 502,
  PLUGCHAIN_PLUGIN_CONTRACT: 502,
  PLUGCHAIN_CHAIN_PREPARE_FAILED: 500,
  PLUGCHAIN_MOVE_REFUSED: 409,
  PLUGCHAIN_MOVE_FAILED: 500,
  PLUGCHAIN_CONFIG_INVALID: 400,
  PLUGCHAIN_NOT_FOUND: 404,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PlugchainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlugchainError';
    this.code = code;
    this.status = options?.status ?? ERROR_CODES[code];
  }

  static is(value: unknown): value is PlugchainError {
    return value instanceof Error && typeof (value as PlugchainError).code === 'string' &&
      (value as PlugchainError).code.startsWith('PLUGCHAIN_');
  }
}

/** Wraps anything thrown into a PlugchainError, keeping the original as `cause`. */
export function toPlugchainError(err: unknown, fallback: ErrorCode = 'PLUGCHAIN_HOOK_FAILED'): PlugchainError {
  if (PlugchainError.is(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PlugchainError(fallback, message, { cause: err });
}

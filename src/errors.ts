/** Codes an operator or API client can act on; server/app.ts maps each to an HTTP status. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'INPUT_INVALID'
  | 'NOT_FOUND'
  | 'AMBIGUOUS_ID'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ACTION_DENIED'
  | 'ANALYSIS_UNUSABLE'
  | 'UPSTREAM_FAILED'
  | 'STORE_FAILED';

/** A failure we expected and can explain to the operator. Anything else is a bug. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** An answer from outside (Netdata, Discord, the LLM) that we could not use. */
export class UpstreamError extends AppError {
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super('UPSTREAM_FAILED', message, options);
    this.status = options.status;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

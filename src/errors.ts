import type { z } from 'zod';

/** Codes an operator or API client can act on, each with the HTTP status the API answers it with. */
export const ERROR_CODES = {
  CONFIG_INVALID: { status: 500 },
  INPUT_INVALID: { status: 400 },
  NOT_FOUND: { status: 404 },
  AMBIGUOUS_ID: { status: 409 },
  CONFLICT: { status: 409 },
  UNAUTHORIZED: { status: 401 },
  FORBIDDEN: { status: 403 },
  ACTION_DENIED: { status: 403 },
  ANALYSIS_UNUSABLE: { status: 502 },
  UPSTREAM_FAILED: { status: 502 },
  STORE_FAILED: { status: 503 },
} as const satisfies Record<string, { status: number }>;
export type ErrorCode = keyof typeof ERROR_CODES;

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** Whether an API answer's `error` field is one of our codes (the dashboard turns those back into an AppError). */
export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

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

/**
 * The first problem zod found, as one phrase: "<field><path>: message", or "<whole>: message" when it is about the
 * whole value (just the message when whole is null). Every place that turns a zod error into words goes through here.
 */
export function zodProblem(error: z.ZodError, options: { field?: string; whole?: string | null } = {}): string {
  const i = error.issues[0];
  if (!i) return 'invalid';
  const path = i.path.map(String).join('.');
  const whole = options.whole === undefined ? '(root)' : options.whole;
  if (!path && whole === null) return i.message;
  return `${path ? `${options.field ?? ''}${path}` : whole}: ${i.message}`;
}

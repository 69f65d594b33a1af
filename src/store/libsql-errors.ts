/**
 * What a libSQL server's (Turso's, sqld's) failures mean for the operator: one sentence each, saying how to fix it.
 * The client reports them as `SERVER_ERROR: Server returned HTTP status 401`, `fetch failed` with a cause, or a
 * libSQL code; the URL shown is always the redacted one.
 */

function causeCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|ERR_[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    const errors = (e as { errors?: unknown }).errors; // AggregateError (every address refused)
    if (Array.isArray(errors) && errors.length > 0) e = errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The libSQL code of an error (TRANSACTION_TIMEOUT, SERVER_ERROR, SQLITE_CONSTRAINT…), or undefined. */
export function libsqlCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * sqld took the write lock from a transaction that held it too long (5 s) while another waited: the transaction was
 * rolled back, so running it again is safe.
 */
export function isLockStolen(error: unknown): boolean {
  return libsqlCode(error) === 'TRANSACTION_TIMEOUT' || /TRANSACTION_TIMEOUT|transaction timed out/i.test(message(error));
}

/** The request never reached the server (refused, unreachable, DNS): nothing was applied. */
export function neverArrived(error: unknown): boolean {
  const code = causeCode(error);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN';
}

/** A sentence for a failure of the server or of the way it is reached, or undefined for an SQL error. */
export function remoteProblem(error: unknown, location: string): string | undefined {
  const text = message(error);
  const status = /HTTP status (\d{3})/.exec(text)?.[1];
  if (status === '401' || status === '403' || /AUTH_JWT_INVALID|AUTH_|Unauthorized/i.test(text)) {
    return `Turso answered ${status ?? '401'}: check TURSO_AUTH_TOKEN / database.authToken`;
  }
  const code = causeCode(error);
  if (code && /SSL|TLS|EPROTO/.test(code)) {
    return `${location} does not speak TLS (${code}): for a server without TLS add ?tls=0 to the URL (libsql://host:port?tls=0) or use http://`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot find the host of ${location} (${code}): check database.url / TURSO_DATABASE_URL`;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') {
    return `cannot reach the database at ${location} (${code}): check database.url / TURSO_DATABASE_URL and that the server is up`;
  }
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || /timed? ?out|TimeoutError/i.test(text)) {
    return `the database at ${location} did not answer in time: check the network and the server`;
  }
  if (/fetch failed|socket hang up|other side closed/i.test(text)) {
    return `cannot reach the database at ${location}: check database.url / TURSO_DATABASE_URL and that the server is up`;
  }
  if (status && Number(status) >= 500) return `the database at ${location} answered HTTP ${status}: the server failed; retry later`;
  if (status === '404') return `${location} answered 404: check the database name in database.url / TURSO_DATABASE_URL`;
  if (isLockStolen(error)) return `the database at ${location} took the write lock back from a transaction that held it too long`;
  return undefined;
}

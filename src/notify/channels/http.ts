import { errorMessage } from '../../errors.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** One request with a timeout; a network failure or timeout is a string (the sender backs off), never a throw. */
export async function send(url: string, init: { method?: string; headers: Record<string, string>; body: string }, timeoutMs: number, service: string): Promise<HttpAnswer | string> {
  try {
    const response = await fetch(url, { method: init.method ?? 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    const text = await response.text().catch(() => '');
    return { status: response.status, headers: response.headers, text };
  } catch (err) {
    const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return timeout ? `${service} did not answer within ${timeoutMs} ms` : `cannot reach ${service}: ${errorMessage(err)}`;
  }
}

/** Retry-After in seconds (the only form these APIs use); undefined when absent or not a number. */
export function retryAfterMs(headers: Headers): number | undefined {
  const v = headers.get('retry-after');
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.ceil(n * 1000) : undefined;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

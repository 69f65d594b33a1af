import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../errors.js';

/** Control characters but newline and tab: what a terminal or a chat renderer could be steered by. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text from the client (a note, a reason), stored as data: control characters removed, trimmed, capped. */
export function clientText(text: string, maxChars: number): string {
  return text.replace(CONTROL, '').trim().slice(0, maxChars);
}

/** Text for the client from alerts, the model or people: control characters shown as `?`, as the CLI does. */
export function shown(text: string | null | undefined): string {
  return (text ?? '').replace(CONTROL, '?');
}

/**
 * The author every write of this client is recorded under: `mcp:` and the name from its initialize request
 * (clientInfo.name), reduced to a safe slug. The name is the client's own claim; the token says who may connect.
 */
export function authorOf(clientName: string | undefined): string {
  const slug = (clientName ?? '')
    .toLowerCase()
    .replace(/\.{2,}/g, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 48);
  return `mcp:${slug || 'unknown-client'}`;
}

export function textResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }] };
}

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * Runs a tool body; an expected failure (AppError: unknown id, conflict, refusal) becomes an error result the
 * assistant can read and act on. Anything else is a bug and propagates (the SDK answers it as an error result too).
 */
export async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) return errorResult(`${err.code}: ${shown(err.message)}`);
    throw err;
  }
}

export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

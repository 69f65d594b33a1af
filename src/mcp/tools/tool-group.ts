import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpDeps } from '../deps.js';

/** What every tool of a session sees: the shared objects, and who this client is (for the author of its writes). */
export interface ToolContext {
  deps: McpDeps;
  /** `mcp:<clientInfo.name>`, read at each call: known once the client has initialised. */
  author(): string;
}

/** One file's tools (issues, actions, notes…), registered on each new session's server by registry.ts. */
export type ToolGroup = (server: McpServer, ctx: ToolContext) => void;

/** A full issue id (`issue-<ms>-<6 [a-z0-9]>`) or, for reads, a unique prefix of one. */
export const issueIdArg = z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, 'must be an issue id such as issue-1764800000000-a1b2c3');

export const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
/** Adds to the audit trail (a note, a proposal, an analysis); never removes or overwrites anything. */
export const APPENDS = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false } as const;

import { readFileSync } from 'node:fs';

/**
 * The token a daemon without server.apiToken wrote beside its database: what steering requests (approve, reject,
 * notes, status) and the dashboard login need. Read from the file, as `opsagent token` does.
 */
export function localToken(agent: { tokenFile: string | undefined }): string {
  if (!agent.tokenFile) throw new Error('this agent has server.apiToken set: it wrote no local token');
  return readFileSync(agent.tokenFile, 'utf8').trim();
}

/** Headers of a JSON request that presents the agent's local token. */
export function steeringHeaders(agent: { tokenFile: string | undefined }): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${localToken(agent)}` };
}

import { createHash, randomInt } from 'node:crypto';
import type { FingerprintInputs } from '../model/issue.js';

/** The seed's formula: sha256("<name>:<context>:<chart>") as hex, first 16 characters. */
export function generateFingerprint({ name, context, chart }: FingerprintInputs): string {
  return createHash('sha256').update(`${name}:${context}:${chart}`).digest('hex').slice(0, 16);
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `issue-<ms>-<6 random [a-z0-9]>` (DESIGN §2). */
export function newIssueId(nowMs: number): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `issue-${nowMs}-${suffix}`;
}

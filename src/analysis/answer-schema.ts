import { z } from 'zod';
import { ACTION_DESCRIPTIONS, ACTION_TYPES } from '../model/action-catalog.js';

/**
 * The arguments of the model's final `submit_analysis` call. Action types are checked per proposal afterwards
 * (an unknown one is dropped with its reason, not a reason to throw the whole answer away).
 */
export const SubmittedAnalysis = z.strictObject({
  summary: z.string().min(1).max(2_000),
  likelyCause: z.string().min(1).max(2_000),
  evidence: z.array(z.string().max(1_000)).max(20).default([]),
  confidence: z.enum(['low', 'medium', 'high']),
  actions: z
    .array(
      z.strictObject({
        type: z.string().min(1).max(64),
        params: z.record(z.string(), z.unknown()).default({}),
        reason: z.string().max(2_000).default(''),
      }),
    )
    .max(10)
    .default([]),
});
export type SubmittedAnalysis = z.infer<typeof SubmittedAnalysis>;

const catalogText = ACTION_TYPES.map((t) => `${t}: ${ACTION_DESCRIPTIONS[t]}`).join(' | ');

/** The same shape as JSON Schema, for the tool definition the model sees. */
export const SUBMIT_ANALYSIS_PARAMETERS = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'likelyCause', 'evidence', 'confidence', 'actions'],
  properties: {
    summary: { type: 'string', description: 'One or two sentences: what is wrong.' },
    likelyCause: { type: 'string', description: 'The most likely cause, naming the process/path/service.' },
    evidence: { type: 'array', items: { type: 'string' }, description: 'Facts from the tool output the cause rests on.' },
    confidence: { type: 'string', enum: ['low', 'medium', 'high'] },
    actions: {
      type: 'array',
      description: `Proposed remediations, most useful first (may be empty). Catalog: ${catalogText}`,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'params', 'reason'],
        properties: {
          type: { type: 'string', enum: [...ACTION_TYPES] },
          params: {
            type: 'object',
            description:
              'notify_human {message}; clear_cache {}; log_analysis {minutes?, pattern?}; cleanup_disk {path, olderThanDays?}; ' +
              'kill_process {pid, name, startTime?}; restart_service {service}; custom_command {argv}',
          },
          reason: { type: 'string' },
        },
      },
    },
  },
} as const;

import type { z } from 'zod';
import { AppError, zodProblem } from '../../errors.js';

/** Validates a query or body with zod; the first problem becomes a 400 naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new AppError('INPUT_INVALID', `${what}${zodProblem(r.error, { field: ' field ', whole: '' })}`);
  return r.data;
}

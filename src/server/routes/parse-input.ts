import type { z } from 'zod';
import { AppError } from '../../errors.js';

/** Validates a query or body with zod; the first problem becomes a 400 naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new AppError('INPUT_INVALID', `${what}${i.path.length ? ` field ${i.path.join('.')}` : ''}: ${i.message}`);
  }
  return r.data;
}

import type { Command } from 'commander';
import type { CliContext } from './context.js';

type Handler<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<void>;

/**
 * A command action whose body, and the config, store and libraries it needs, load only when the command runs:
 * operators type commands dozens of times during an incident, and `--help` must not pay for the daemon.
 */
export function lazyAction<A extends unknown[]>(program: Command, load: () => Promise<Handler<A>>): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    const [{ withContext }, handler] = await Promise.all([import('./context.js'), load()]);
    await withContext(program, handler)(...args);
  };
}

import { writeFile } from 'node:fs/promises';
import { describeFailure, runCommand } from './run-command.js';
import { fail, type Executor } from './types.js';

const DROP_CACHES = '/proc/sys/vm/drop_caches';

/** sync, then drop the page cache (1 = page cache only: dentries and inodes stay, the cheap and safe choice). */
export const clearCache: Executor = async (_params, ctx) => {
  const cfg = ctx.config.clearCache;
  const timeoutMs = ctx.config.timeoutSeconds * 1000;
  const limit = ctx.config.outputLimitBytes;
  if (cfg.command.length > 0) {
    if (ctx.config.dryRun) return { success: true, summary: `Dry run: would run ${cfg.command.join(' ')}`, output: '' };
    const r = await runCommand(cfg.command, { timeoutMs, outputLimitBytes: limit });
    if (r.exitCode === 0) return { success: true, summary: 'System cache cleared', output: r.output };
    return fail(`cache not cleared: ${describeFailure(cfg.command[0]!, r, timeoutMs)}`, r.output);
  }
  if (ctx.config.dryRun) return { success: true, summary: `Dry run: would sync and write 1 to ${DROP_CACHES}`, output: '' };
  const synced = await runCommand(['sync'], { timeoutMs, outputLimitBytes: limit });
  try {
    await writeFile(DROP_CACHES, '1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EROFS' ? 'read-only /proc (a container?)' : code === 'EACCES' || code === 'EPERM' ? 'not permitted (needs root, outside a container)' : code;
    return fail(`cache not cleared: cannot write ${DROP_CACHES}: ${why}; set actions.clearCache.command to use another method`, synced.output);
  }
  return { success: true, summary: 'System cache cleared', output: synced.exitCode === 0 ? 'sync; echo 1 > /proc/sys/vm/drop_caches' : `sync failed (${describeFailure('sync', synced, timeoutMs)}); page cache dropped anyway` };
};

import { AppError } from '../errors.js';
import { localTokenPath, readLocalToken } from '../store/local-token.js';
import type { CliContext } from './context.js';

export async function token(ctx: CliContext, opts: { path?: boolean }): Promise<void> {
  const file = localTokenPath(ctx.databaseUrl, ctx.home);
  if (opts.path) {
    process.stdout.write(`${file}\n`);
    return;
  }
  let token = ctx.config.server.apiToken;
  if (!token) {
    const local = readLocalToken(file);
    if (local === undefined) {
      throw new AppError('NOT_FOUND', `no local API token at ${file} yet: the agent creates it when it first starts (opsagent run)`);
    }
    token = local;
  }
  process.stdout.write(`${token}\n`);
  if (process.stdout.isTTY) {
    const url = ctx.config.server.publicUrl || `http://${ctx.config.server.host}:${ctx.config.server.port}`;
    process.stderr.write(`Log in to the dashboard at ${url.replace(/\/+$/, '')}/login with it; keep it secret like a password.\n`);
  }
}

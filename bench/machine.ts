import { cpus, freemem, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';

export function machineDescription(): string {
  const cpu = cpus();
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return [
    `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} GiB free)`,
    `Node ${process.version}, ${process.platform}/${process.arch}; better-sqlite3 ${pkg.dependencies['better-sqlite3']}, @libsql/client ${pkg.dependencies['@libsql/client']}, fastify ${pkg.dependencies.fastify}`,
  ].join('; ');
}

export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

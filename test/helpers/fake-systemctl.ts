import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeSystemctl {
  /** The argv prefix for actions.restartService.command. */
  command: string[];
  /** Every invocation's arguments, one array per call. */
  calls(): string[][];
}

/** A shell script standing in for systemctl: records its argv (one line per call, NUL-free) and exits with exitCode. */
export function fakeSystemctl(dir: string, options: { exitCode?: number; output?: string } = {}): FakeSystemctl {
  const script = join(dir, 'fake-systemctl.sh');
  const log = join(dir, 'fake-systemctl.log');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `for a in "$@"; do printf '%s\\t' "$a"; done >> '${log}'`,
      `printf '\\n' >> '${log}'`,
      options.output ? `printf '%s\\n' '${options.output.replace(/'/g, '')}'` : '',
      `exit ${options.exitCode ?? 0}`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return {
    command: [script, 'restart'],
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t').slice(0, -1))
        : [],
  };
}

import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { LogSnapshot } from '../types.js';

const ERROR_LINE = /\b(error|err|fail(ed|ure)?|fatal|crit(ical)?|panic|oom|out of memory|killed process|segfault|no space left)\b/i;
const TAIL_BYTES = 256 * 1024;

function journal(minutes: number, maxLines: number, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // Fixed argv, no shell: nothing from an alert reaches this command line.
    execFile(
      'journalctl',
      ['--no-pager', '--quiet', '-p', 'err', '--since', `-${minutes}min`, '-n', String(maxLines), '-o', 'short-iso'],
      { timeout: timeoutMs, maxBuffer: 512 * 1024, ...(signal ? { signal } : {}) },
      (err, stdout) => {
        if (err) reject(err);
        else resolve(stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('-- ')));
      },
    );
  });
}

/** The error-looking lines among the last TAIL_BYTES of a log file. */
async function tailErrors(path: string, maxLines: number): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (size > length) lines.shift(); // a partial first line
    return lines.filter((l) => ERROR_LINE.test(l)).slice(-maxLines);
  } finally {
    await handle.close();
  }
}

/** Recent error lines: the journal when journalctl works, else the configured log files. Lines are truncated. */
export async function gatherLogs(options: { minutes: number; maxLines: number; logFiles: string[]; timeoutMs: number; signal?: AbortSignal }): Promise<LogSnapshot> {
  const clip = (lines: string[]) => lines.slice(-options.maxLines).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
  let fromJournal: LogSnapshot | undefined;
  try {
    fromJournal = { source: 'journalctl -p err', lines: clip(await journal(options.minutes, options.maxLines, options.timeoutMs, options.signal)) };
    // An empty answer is also what journalctl gives on a host where journald does not run: the files may still speak.
    if (fromJournal.lines.length > 0 || options.logFiles.length === 0) return fromJournal;
  } catch {
    // no journal here (container, non-systemd host): fall back to the files
  }
  const lines: string[] = [];
  const used: string[] = [];
  for (const file of options.logFiles.slice(0, 5)) {
    try {
      lines.push(...(await tailErrors(file, options.maxLines)));
      used.push(file);
    } catch {
      // missing or unreadable: try the next one
    }
  }
  if (lines.length === 0 && fromJournal) return fromJournal;
  return { source: used.length ? used.join(', ') : 'none (no journal, no readable log file)', lines: clip(lines) };
}

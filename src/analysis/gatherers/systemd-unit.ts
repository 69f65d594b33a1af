import type { UnitStatus } from '../types.js';
import { runReadOnly } from './run-command.js';

/** What may be passed to systemctl as a unit name: systemd.unit(5) characters, never an option. */
export const UNIT_NAME = /^[A-Za-z0-9@._:-]{1,200}$/;

/** `systemctl show -p …` output (KEY=VALUE lines) as a UnitStatus, without the journal lines. */
export function parseSystemctlShow(unit: string, text: string): UnitStatus {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const num = (key: string) => {
    const v = props.get(key);
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
  };
  return {
    unit: props.get('Id') || unit,
    loadState: props.get('LoadState') ?? 'unknown',
    activeState: props.get('ActiveState') ?? 'unknown',
    subState: props.get('SubState') ?? 'unknown',
    result: props.get('Result') ?? 'unknown',
    nRestarts: num('NRestarts'),
    execMainStatus: num('ExecMainStatus'),
    lines: [],
  };
}

/** The unit's state as systemd reports it now, and its last journal lines (read-only, fixed argv). */
export async function gatherUnit(unit: string, options: { timeoutMs: number; maxLines: number; signal?: AbortSignal }): Promise<UnitStatus> {
  if (!UNIT_NAME.test(unit) || unit.startsWith('-')) throw new Error(`"${unit.slice(0, 80)}" is not a systemd unit name`);
  const show = await runReadOnly('systemctl', ['show', '--no-pager', '-p', 'Id,LoadState,ActiveState,SubState,Result,NRestarts,ExecMainStatus', '--', unit], options);
  const status = parseSystemctlShow(unit, show);
  if (options.maxLines <= 0) return status;
  try {
    const journal = await runReadOnly('journalctl', ['--no-pager', '--quiet', '-u', unit, '-n', String(options.maxLines), '-o', 'short-iso'], options);
    status.lines = journal.split('\n').filter((l) => l.trim() !== '').slice(-options.maxLines).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
  } catch {
    // a unit without journal access still has its state
  }
  return status;
}

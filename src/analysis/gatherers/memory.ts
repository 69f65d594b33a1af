import { readFile } from 'node:fs/promises';
import type { MemorySnapshot } from '../types.js';

export function parseMeminfo(text: string): MemorySnapshot {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const total = kb('MemTotal');
  const available = kb('MemAvailable') || kb('MemFree') + kb('Cached');
  const swapTotal = kb('SwapTotal');
  const swapFree = kb('SwapFree');
  const pct = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);
  return {
    totalBytes: total,
    availableBytes: available,
    usedPercent: pct(total - available, total),
    swapTotalBytes: swapTotal,
    swapFreeBytes: swapFree,
    swapUsedPercent: pct(swapTotal - swapFree, swapTotal),
    cachedBytes: kb('Cached'),
  };
}

export async function gatherMemory(): Promise<MemorySnapshot> {
  return parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
}

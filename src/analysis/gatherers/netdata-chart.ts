import { z } from 'zod';
import { splitUrlCredentials } from '../../secrets.js';
import type { ChartSnapshot } from '../types.js';

/** /api/v1/data?format=json: `labels` then rows of [time, ...values], newest first. */
const DataAnswer = z.object({
  labels: z.array(z.string()).min(1),
  data: z.array(z.array(z.union([z.number(), z.null()]))),
});

const CHART_ID = /^[A-Za-z0-9_.@:-]{1,200}$/;

/** The alert's chart over the last windowSeconds, summarised per dimension (last, min, max, avg). */
export async function gatherChart(options: { baseUrl: string; chart: string; windowSeconds: number; timeoutMs: number; signal?: AbortSignal }): Promise<ChartSnapshot> {
  if (!CHART_ID.test(options.chart)) throw new Error(`chart id "${options.chart.slice(0, 80)}" is not a Netdata chart id`);
  const base = splitUrlCredentials(options.baseUrl);
  const url = new URL('/api/v1/data', base.url.replace(/\/+$/, '') + '/');
  url.search = new URLSearchParams({ chart: options.chart, after: String(-options.windowSeconds), points: '60', format: 'json', options: 'seconds' }).toString();
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const res = await fetch(url, { signal: AbortSignal.any(signals), headers: { accept: 'application/json', ...(base.authorization ? { authorization: base.authorization } : {}) } });
  const text = await res.text();
  if (!res.ok) throw new Error(`Netdata answered HTTP ${res.status} for chart ${options.chart}: ${text.slice(0, 200)}`);
  if (text.length > 2_000_000) throw new Error('Netdata answer too large');
  const parsed = DataAnswer.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`Netdata answer for chart ${options.chart} is not /api/v1/data JSON`);
  const { labels, data } = parsed.data;
  const dimensions = labels.slice(1, 30).map((name, i) => {
    const values = data.map((row) => row[i + 1]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const round = (v: number) => Math.round(v * 100) / 100;
    return {
      name,
      last: values.length ? round(values[0]!) : null,
      min: values.length ? round(Math.min(...values)) : null,
      max: values.length ? round(Math.max(...values)) : null,
      avg: values.length ? round(values.reduce((a, b) => a + b, 0) / values.length) : null,
    };
  });
  return { chart: options.chart, url: url.toString(), afterSeconds: options.windowSeconds, points: data.length, dimensions };
}

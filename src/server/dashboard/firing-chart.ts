import { isoTime } from './format.js';
import { html, type SafeHtml } from './html.js';

export interface ChartInput {
  /** Firings: when, and how many (a roll-up comment stands for many). */
  firings: { at: number; count: number }[];
  clears: number[];
  actions: { at: number; label: string; ok: boolean | undefined }[];
  now: number;
}

const W = 640;
const H = 140;
const PAD_L = 34;
const PAD_R = 10;
const BAR_TOP = 12;
const BAR_BOTTOM = 92;
const MARK_Y = 110;
const BUCKETS = 48;

/** Buckets firings over [start, end]; pure so the chart's arithmetic is unit-tested. */
export function bucketFirings(firings: { at: number; count: number }[], start: number, end: number, buckets = BUCKETS): number[] {
  const out = new Array<number>(buckets).fill(0);
  const span = Math.max(1, end - start);
  for (const f of firings) {
    const i = Math.min(buckets - 1, Math.max(0, Math.floor(((f.at - start) / span) * buckets)));
    out[i]! += f.count;
  }
  return out;
}

/**
 * Firings over time as an inline SVG (no script, no external file, so the CSP stays strict): bars for firings per
 * time slice, green lines where the alert cleared, diamonds where actions ran.
 */
export function firingChart(input: ChartInput): SafeHtml {
  const times = [...input.firings.map((f) => f.at), ...input.clears, ...input.actions.map((a) => a.at)];
  if (times.length === 0) return html`<p class="muted">No firings recorded yet.</p>`;
  const start = Math.min(...times);
  const end = Math.max(input.now, ...times);
  const span = Math.max(1, end - start);
  const x = (t: number) => PAD_L + ((t - start) / span) * (W - PAD_L - PAD_R);
  const buckets = bucketFirings(input.firings, start, end);
  const max = Math.max(1, ...buckets);
  const slot = (W - PAD_L - PAD_R) / buckets.length;
  const bars = buckets.map((n, i) => {
    if (n === 0) return '';
    const h = Math.max(2, (n / max) * (BAR_BOTTOM - BAR_TOP));
    const from = start + (i / buckets.length) * span;
    return html`<rect class="bar" x="${(PAD_L + i * slot + 0.5).toFixed(1)}" y="${(BAR_BOTTOM - h).toFixed(1)}" width="${Math.max(1, slot - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${n} firing${n === 1 ? '' : 's'} from ${isoTime(from)}</title></rect>`;
  });
  const clears = input.clears.map(
    (t) => html`<line class="clear" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${BAR_TOP}" y2="${BAR_BOTTOM}"><title>cleared ${isoTime(t)}</title></line>`,
  );
  const actions = input.actions.map((a) => {
    const cx = x(a.at);
    const cls = a.ok === true ? 'act ok' : a.ok === false ? 'act fail' : 'act';
    return html`<path class="${cls}" d="M${cx.toFixed(1)} ${MARK_Y - 6} l6 6 l-6 6 l-6 -6 z"><title>${a.label} ${isoTime(a.at)}</title></path>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Firings over time">
<text class="axis" x="2" y="${BAR_TOP + 8}">${max}</text>
<text class="axis" x="2" y="${BAR_BOTTOM}">0</text>
<line class="base" x1="${PAD_L}" x2="${W - PAD_R}" y1="${BAR_BOTTOM}" y2="${BAR_BOTTOM}"></line>
${bars}${clears}${actions}
<text class="axis" x="${PAD_L}" y="${H - 6}">${isoTime(start)}</text>
<text class="axis" x="${W - PAD_R}" y="${H - 6}" text-anchor="end">${isoTime(end)}</text>
</svg>
<p class="legend small"><span class="key bar"></span> firings <span class="key clear"></span> cleared <span class="key act"></span> action ran</p>`;
}

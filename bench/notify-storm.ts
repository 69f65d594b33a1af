import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startChildDaemon } from './child-daemon.js';

export interface NotifyStormResult {
  issues: number;
  seconds: number;
  messages: number;
  maxMessagesInAnyMinute: number;
  limitPerMinute: number;
  issuesAnnounced: number;
  secondsUntilAllAnnounced: number | null;
}

/**
 * A storm of new critical issues against the real daemon and a local Discord webhook sink: how many messages reach
 * the channel per minute, and whether every issue is announced (one by one or counted in a summary embed).
 */
export async function runNotifyStormBench(options: { issues?: number; seconds?: number } = {}): Promise<NotifyStormResult> {
  const issues = options.issues ?? 1000;
  const seconds = options.seconds ?? 70;
  const sent: { at: number; announced: number }[] = [];
  const sink = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const msg = JSON.parse(body) as { embeds?: { title?: string }[] };
      if (req.method === 'PATCH') {
        // an edit of a live message (Edit Webhook Message) is not a new message
        res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '0.4' });
        res.end(JSON.stringify({ id: /\/messages\/(\d+)$/.exec(req.url ?? '')?.[1] ?? '1', channel_id: '1', webhook_id: '1', type: 0, content: '', embeds: msg.embeds ?? [], timestamp: new Date().toISOString() }));
        return;
      }
      let announced = 0;
      for (const e of msg.embeds ?? []) {
        const more = /^and (\d+) more/.exec(e.title ?? '') ?? /^⚡ (\d+) issues at once/.exec(e.title ?? '');
        if (more) announced += Number(more[1]);
        else if (e.title) announced += 1; // an untitled embed continues a storm summary's list
      }
      sent.push({ at: Date.now(), announced });
      res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '0.4' });
      res.end(JSON.stringify({ id: String(1_290_000_000_000_000_000n + BigInt(sent.length)), channel_id: '1', webhook_id: '1', type: 0, content: '', embeds: msg.embeds ?? [], timestamp: new Date().toISOString() }));
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/api/webhooks/1/bench`;
  const daemon = await startChildDaemon(`discord: { enabled: true, webhookUrl: "${hook}", digest: { enabled: false } }\nanalysis: { enabled: false }\n`);
  try {
    const started = Date.now();
    const alerts = Array.from({ length: issues }, (_, i) => ({ name: `storm_alert_${i}`, status: 'CRITICAL', value: 99, units: '%' }));
    for (let i = 0; i < alerts.length; i += 100) {
      const r = await fetch(`${daemon.base}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts.slice(i, i + 100)) });
      if (r.status !== 202) throw new Error(`benchmark: ingest answered ${r.status}`);
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    let total = 0;
    let doneAt: number | null = null;
    for (const s of sent) {
      total += s.announced;
      if (doneAt === null && total >= issues) doneAt = s.at;
    }
    let maxPerMinute = 0;
    for (const s of sent) maxPerMinute = Math.max(maxPerMinute, sent.filter((o) => o.at >= s.at && o.at < s.at + 60_000).length);
    return {
      issues,
      seconds,
      messages: sent.length,
      maxMessagesInAnyMinute: maxPerMinute,
      limitPerMinute: 25,
      issuesAnnounced: total,
      secondsUntilAllAnnounced: doneAt === null ? null : Math.round((doneAt - started) / 100) / 10,
    };
  } finally {
    await daemon.stop();
    sink.close();
  }
}

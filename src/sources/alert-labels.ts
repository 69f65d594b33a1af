import type { AlertEvent, AlertStatus } from '../model/alert.js';

/**
 * The label mapping every Prometheus-style source shares (the Alertmanager webhook, the Alertmanager API v2
 * receiver), documented in docs/sources.md:
 *   name     = labels.alertname
 *   context  = labels.context ?? labels.job ?? alertname
 *   chart    = labels.chart ?? labels.instance ?? ''
 *   server   = labels.server_id ?? host part of labels.instance ?? the agent's server id
 *   status   = resolved -> CLEAR; labels.severity critical|page -> CRITICAL; anything else -> WARNING
 *   labels and annotations travel with the event: the issue keeps them (silences and routes match labels;
 *   annotations such as runbook_url are shown on the issue); info = annotations.summary ?? description
 * So one issue per alert name (and job) per instance: the same alert on two servers is two issues.
 */
export function eventFromLabels(
  labels: Record<string, string>,
  annotations: Record<string, string> | undefined,
  resolved: boolean,
  fields: { name: string; fingerprint: string; occurredAt: number; serverId: string },
): AlertEvent {
  const severity = (labels.severity ?? '').toLowerCase();
  const status: AlertStatus = resolved ? 'CLEAR' : severity === 'critical' || severity === 'page' ? 'CRITICAL' : 'WARNING';
  const instance = labels.instance;
  const event: AlertEvent = {
    server_id: labels.server_id || (instance ? instanceHost(instance) : '') || fields.serverId,
    name: fields.name,
    context: labels.context || labels.job || fields.name,
    chart: labels.chart ?? instance ?? '',
    status,
    source: 'alertmanager',
    source_alert_id: fields.fingerprint,
    occurred_at: fields.occurredAt,
    labels,
  };
  if (annotations && Object.keys(annotations).length > 0) event.annotations = annotations;
  const info = annotations?.summary ?? annotations?.description;
  if (info) event.info = info.slice(0, 4_000);
  return event;
}

/**
 * Prometheus' label-set fingerprint: FNV-1a 64 over the label pairs sorted by name (`name 0xFF value 0xFF`), as
 * prometheus/common model.LabelSet.Fingerprint, in %016x. Two 32-bit halves instead of BigInt: it runs for every
 * alert of every post, and BigInt arithmetic was the larger part of parsing one.
 */
export function alertmanagerFingerprint(labels: Record<string, string>): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const names = Object.keys(labels).sort();
  for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    for (let part = 0; part < 2; part++) {
      const s = part === 0 ? name : labels[name]!;
      let bytes: Uint8Array | undefined;
      let len = s.length;
      for (let i = 0; i < len; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          bytes = Buffer.from(s); // label names are ASCII; a value may not be: hash its UTF-8 bytes
          len = bytes.length;
          break;
        }
      }
      for (let i = 0; i <= len; i++) {
        const b = i === len ? 255 : bytes ? bytes[i]! : s.charCodeAt(i);
        lo = (lo ^ b) >>> 0;
        // h * (2^40 + 0x1b3) mod 2^64, in halves: the 2^40 part moves lo << 8 into hi.
        const t = lo * 0x1b3;
        hi = (hi * 0x1b3 + Math.floor(t / 4294967296) + ((lo << 8) >>> 0)) >>> 0;
        lo = t >>> 0;
      }
    }
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** "web-1:9100" -> "web-1", "[::1]:9100" -> "::1", "web-1" -> "web-1". */
export function instanceHost(instance: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1]!;
  const colons = instance.split(':').length - 1;
  if (colons === 1) return instance.slice(0, instance.lastIndexOf(':'));
  return instance; // a bare host, or an IPv6 address without a port
}

import { embedSize, fitEmbed, SAFE_LIMITS, truncate, type Embed } from './embed-limits.js';
import type { NotificationKind, OutboxItem, RenderContext } from './notification-types.js';
import { COLORS, PRIORITY, renderEmbed, SUMMARY_NOUN, summaryLine } from './render.js';

/** The JSON body of an Execute Webhook / Create Message call. Mentions are never parsed: alert and model text is untrusted. */
export interface MessageBody {
  username?: string;
  content?: string;
  embeds: Embed[];
  allowed_mentions: { parse: [] };
  components?: unknown[];
}

export interface ComposedMessage {
  /** The outbox rows this message delivers (shown one by one or counted in the summary embed). */
  itemIds: number[];
  body: MessageBody;
}

/** Least room left for the summary embed before detailed embeds give way to it. */
const SUMMARY_MIN_CHARS = 1_500;

export function byPriority(a: OutboxItem, b: OutboxItem): number {
  return PRIORITY[a.payload.kind] - PRIORITY[b.payload.kind] || a.id - b.id;
}

/** "and 991 more new issues…" with a line per item while they fit, and a count per kind. */
export function summaryEmbed(items: OutboxItem[], ctx: RenderContext, maxChars: number): Embed {
  const counts = new Map<NotificationKind, number>();
  for (const item of items) counts.set(item.payload.kind, (counts.get(item.payload.kind) ?? 0) + 1);
  const kinds = [...counts.keys()];
  const n = items.length;
  const noun = kinds.length === 1 ? SUMMARY_NOUN[kinds[0]!][n === 1 ? 0 : 1] : n === 1 ? 'notification' : 'notifications';
  const title = `and ${n} more ${noun}…`;
  const fields = kinds.map((k) => ({ name: SUMMARY_NOUN[k][1], value: String(counts.get(k)), inline: true })).slice(0, 10);
  const fixed = title.length + fields.reduce((s, f) => s + f.name.length + f.value.length, 0) + 40;
  const room = Math.max(100, Math.min(SAFE_LIMITS.description, maxChars - fixed));
  const lines: string[] = [];
  let used = 0;
  for (const [i, item] of items.entries()) {
    const line = truncate(summaryLine(item.payload), 200);
    const tail = `\n…and ${n - i} more: ${ctx.publicUrl}/`;
    if (used + line.length + 1 + tail.length > room) {
      lines.push(tail.trim());
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return fitEmbed({ title, description: lines.join('\n'), url: `${ctx.publicUrl}/`, color: COLORS.info, fields }, maxChars);
}

/**
 * Builds the next message from due items (any order). Digests go alone. Without aggregation it takes up to 10 items,
 * one embed each, within the 6000-character total; the rest stay due. With aggregation (a storm: more due than the
 * rate budget can show one by one) it shows the most important 9 and counts every other item in one summary
 * embed, so the whole backlog is announced in a single message.
 */
export function composeMessage(
  due: OutboxItem[],
  ctx: RenderContext,
  options: { aggregate: boolean; username?: string; withButtons?: boolean },
): ComposedMessage | undefined {
  const items = [...due].sort(byPriority);
  const first = items[0];
  if (!first) return undefined;
  const base = { ...(options.username ? { username: options.username } : {}), allowed_mentions: { parse: [] as [] } };
  if (first.payload.kind === 'digest') {
    const embeds = fitAll(first.payload.embeds.slice(0, SAFE_LIMITS.embedsPerMessage));
    return { itemIds: [first.id], body: { ...base, embeds } };
  }
  const rest = items.filter((i) => i.payload.kind !== 'digest');
  const render = (item: OutboxItem) => renderEmbed(item.payload, ctx, { withButtons: options.withButtons === true });

  if (!options.aggregate || rest.length <= SAFE_LIMITS.embedsPerMessage) {
    const embeds: Embed[] = [];
    const ids: number[] = [];
    let total = 0;
    for (const item of rest) {
      if (embeds.length === SAFE_LIMITS.embedsPerMessage) break;
      let embed = render(item);
      if (total + embedSize(embed) > SAFE_LIMITS.totalPerMessage) {
        if (embeds.length > 0) break;
        embed = fitEmbed(embed, SAFE_LIMITS.totalPerMessage);
      }
      embeds.push(embed);
      ids.push(item.id);
      total += embedSize(embed);
    }
    return { itemIds: ids, body: { ...base, embeds } };
  }

  const detailed = rest.slice(0, SAFE_LIMITS.embedsPerMessage - 1).map((item) => ({ item, embed: render(item) }));
  let summarised = rest.slice(detailed.length);
  let used = detailed.reduce((s, d) => s + embedSize(d.embed), 0);
  while (detailed.length > 0 && SAFE_LIMITS.totalPerMessage - used < SUMMARY_MIN_CHARS) {
    const last = detailed.pop()!;
    used -= embedSize(last.embed);
    summarised = [last.item, ...summarised];
  }
  const summary = summaryEmbed(summarised, ctx, SAFE_LIMITS.totalPerMessage - used);
  return {
    itemIds: [...detailed.map((d) => d.item.id), ...summarised.map((i) => i.id)],
    body: { ...base, embeds: [...detailed.map((d) => d.embed), summary] },
  };
}

function fitAll(embeds: Embed[]): Embed[] {
  const out: Embed[] = [];
  let total = 0;
  for (const e of embeds) {
    const fitted = fitEmbed(e, Math.max(0, SAFE_LIMITS.totalPerMessage - total));
    if (embedSize(fitted) === 0 && out.length > 0) break;
    out.push(fitted);
    total += embedSize(fitted);
  }
  return out;
}

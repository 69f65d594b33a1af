/**
 * Discord's embed limits (PROTOCOLS §1) and safe truncation. Discord does not say whether it counts UTF-16 units or
 * code points, so text is cut at a code point boundary (never half a surrogate pair) to fit BOTH counts, with a margin.
 */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  authorName: 256,
  embedsPerMessage: 10,
  totalPerMessage: 6000,
  content: 2000,
} as const;

/** What we aim for: the limits minus a margin, so a counting difference on Discord's side never costs a 400. */
export const SAFE_LIMITS = {
  title: 240,
  description: 3900,
  fields: 25,
  fieldName: 240,
  fieldValue: 1000,
  footer: 2000,
  authorName: 240,
  embedsPerMessage: 10,
  totalPerMessage: 5600,
  content: 1900,
} as const;

export interface EmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface Embed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  footer?: { text: string };
  author?: { name: string };
  fields?: EmbedField[];
}

const ELLIPSIS = '…';

/** Length as Discord might count it: UTF-16 units, never fewer than code points, so fitting it fits both counts. */
export function discordLength(text: string): number {
  return text.length;
}

/** Trims, then cuts to at most max UTF-16 units at a code point boundary, ending with … when cut. */
export function truncate(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  if (max <= 1) return max === 1 ? ELLIPSIS : '';
  let out = '';
  for (const cp of trimmed) {
    if (out.length + cp.length > max - ELLIPSIS.length) break;
    out += cp;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
}

/** Discord rejects empty field values and names. */
function nonEmpty(text: string): string {
  return text === '' ? '—' : text;
}

/** One embed within the per-field limits. */
export function clampEmbed(embed: Embed): Embed {
  const out: Embed = { ...embed };
  if (embed.title !== undefined) out.title = truncate(embed.title, SAFE_LIMITS.title);
  if (embed.description !== undefined) out.description = truncate(embed.description, SAFE_LIMITS.description);
  if (embed.footer) out.footer = { text: nonEmpty(truncate(embed.footer.text, SAFE_LIMITS.footer)) };
  if (embed.author) out.author = { name: nonEmpty(truncate(embed.author.name, SAFE_LIMITS.authorName)) };
  if (embed.fields) {
    out.fields = embed.fields.slice(0, SAFE_LIMITS.fields).map((f) => ({
      name: nonEmpty(truncate(f.name, SAFE_LIMITS.fieldName)),
      value: nonEmpty(truncate(f.value, SAFE_LIMITS.fieldValue)),
      ...(f.inline !== undefined ? { inline: f.inline } : {}),
    }));
  }
  if (out.url !== undefined && !/^https?:\/\/\S{1,2000}$/.test(out.url)) delete out.url; // a bad url fails the whole message
  return out;
}

/** The characters an embed counts towards the 6000 total of a message. */
export function embedSize(embed: Embed): number {
  let n = discordLength(embed.title ?? '') + discordLength(embed.description ?? '');
  n += discordLength(embed.footer?.text ?? '') + discordLength(embed.author?.name ?? '');
  for (const f of embed.fields ?? []) n += discordLength(f.name) + discordLength(f.value);
  return n;
}

/** Shrinks an embed (description first, then fields from the end) until it counts at most max characters. */
export function fitEmbed(embed: Embed, max: number): Embed {
  let e = clampEmbed(embed);
  let over = embedSize(e) - max;
  if (over <= 0) return e;
  if (e.description) {
    const keep = Math.max(0, e.description.length - over);
    e = { ...e, description: truncate(e.description, keep) };
    if (e.description === '') delete e.description;
    over = embedSize(e) - max;
  }
  while (over > 0 && e.fields && e.fields.length > 0) {
    e = { ...e, fields: e.fields.slice(0, -1) };
    over = embedSize(e) - max;
  }
  if (over > 0 && e.footer) {
    e = { ...e, footer: { text: nonEmpty(truncate(e.footer.text, Math.max(1, e.footer.text.length - over))) } };
    over = embedSize(e) - max;
  }
  if (over > 0 && e.title) e = { ...e, title: truncate(e.title, Math.max(1, e.title.length - over)) };
  return e;
}

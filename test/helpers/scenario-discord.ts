import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { FakeDiscord, RecordedMessage } from './fake-discord.js';

/** The Discord side of the scenarios: what the fake received, flattened, and signed button clicks. */

export interface SeenEmbed {
  via: RecordedMessage['via'];
  content: string;
  title: string;
  description: string;
  fields: Record<string, string>;
  components: string;
}

/** Every embed of every accepted message, in arrival order (several notifications can share one message). */
export function embedsOf(discord: FakeDiscord): SeenEmbed[] {
  const out: SeenEmbed[] = [];
  for (const m of discord.messages) {
    const embeds = m.body.embeds ?? [];
    for (const e of embeds) {
      const fields = Object.fromEntries(((e.fields as { name: string; value: string }[] | undefined) ?? []).map((f) => [f.name, f.value]));
      out.push({
        via: m.via,
        content: m.body.content ?? '',
        title: String(e.title ?? ''),
        description: String(e.description ?? ''),
        fields,
        components: JSON.stringify(m.body.components ?? []),
      });
    }
  }
  return out;
}

export interface AppKeys {
  privateKey: KeyObject;
  publicKeyHex: string;
}

/** A Discord application's Ed25519 key pair (the public key as the Developer Portal shows it: 64 hex chars). */
export function applicationKeys(): AppKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { privateKey, publicKeyHex: Buffer.from(jwk.x!, 'base64url').toString('hex') };
}

/** A button click as Discord POSTs it to the Interactions Endpoint URL: raw JSON body and its signature headers. */
export function signedButtonClick(keys: AppKeys, options: { customId: string; userId: string; username: string; channelId: string; interactionId: string }): {
  body: string;
  headers: Record<string, string>;
} {
  const body = JSON.stringify({
    id: options.interactionId,
    application_id: '1200000000000000000',
    type: 3,
    version: 1,
    token: 'interaction-token',
    channel_id: options.channelId,
    member: { user: { id: options.userId, username: options.username }, roles: [] },
    data: { custom_id: options.customId, component_type: 2 },
    message: { id: '1290000000000000000', channel_id: options.channelId, components: [] },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(ts + body), keys.privateKey).toString('hex');
  return { body, headers: { 'x-signature-ed25519': signature, 'x-signature-timestamp': ts } };
}

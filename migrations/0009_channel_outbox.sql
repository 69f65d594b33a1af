-- Outbox of the configured channels (config `channels:`; Discord keeps notifications/issue_cards of 0004/0006).
-- One row per change per channel, written in the change's transaction; (channel, dedup_key) makes it idempotent.
-- Each channel is delivered in id order, one row in flight at a time (the head row's lease), so a channel that is
-- down keeps its order and never holds up another channel.
CREATE TABLE channel_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,                  -- the channel's name (config channels[].name)
  kind TEXT NOT NULL,                     -- new | escalated | resolved | approvals | digest | acknowledged
  dedup_key TEXT NOT NULL,
  issue_id TEXT,
  action_id TEXT,
  payload TEXT NOT NULL,                  -- JSON: notify/channels/types.ts ChannelEvent (the webhook's body, version 1)
  status TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,       -- also the claim lease of the head row
  claim_token TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT,
  UNIQUE (channel, dedup_key)
);
CREATE INDEX channel_outbox_head ON channel_outbox (channel, status, id);

-- The live message of an issue on a channel (Slack channel+ts, Telegram chat+message id): posted once, then edited.
-- The primary key keeps one live message per issue per channel, whichever agent posted it.
CREATE TABLE channel_messages (
  issue_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  message_ref TEXT NOT NULL,
  posted_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (issue_id, channel)
);

-- Button clicks already handled (Slack request, Telegram update_id), so a replayed one decides nothing.
CREATE TABLE channel_interactions (
  channel TEXT NOT NULL,
  interaction_id TEXT NOT NULL,
  user_id TEXT,
  outcome TEXT,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (channel, interaction_id)
);

-- Discord outbox: one row per thing to tell the channel, written in the same transaction as the change that causes it.
-- dedup_key makes enqueueing idempotent (e.g. created:<issue id>), so a retried transaction or a second agent on the
-- same database never queues the same announcement twice.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT 'webhook', -- 'webhook' (coalesced) or 'bot' (approval buttons)
  dedup_key TEXT NOT NULL UNIQUE,
  issue_id TEXT,
  action_id TEXT,
  payload TEXT NOT NULL,                  -- JSON: what the renderer needs, captured at enqueue time
  status TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,       -- also the claim lease: a claimed row is not due again until it expires
  claim_token TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  message_id TEXT,
  last_error TEXT
);
CREATE INDEX notifications_due ON notifications (status, channel, next_attempt_at, id);
CREATE INDEX notifications_by_issue ON notifications (issue_id, kind);

-- Interaction ids already handled by POST /api/v1/discord/interactions, so a replayed click decides nothing.
CREATE TABLE discord_interactions (
  interaction_id TEXT PRIMARY KEY,
  user_id TEXT,
  custom_id TEXT,
  outcome TEXT,
  received_at INTEGER NOT NULL
);

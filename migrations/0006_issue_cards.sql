-- The live Discord message of each issue ("card"): posted once, then edited in place as the issue changes.
-- issue_id is the primary key, so two agents on one database never keep two live messages for one issue.
-- A change writes the card's new state in the change's transaction and bumps version; the sender shows the latest
-- state (version > shown_version means an edit is pending), so several pending edits of one message become one.
CREATE TABLE issue_cards (
  issue_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,                       -- JSON: what the message should show now (notify/card.ts CardState)
  version INTEGER NOT NULL DEFAULT 1,        -- bumped by every change
  shown_version INTEGER NOT NULL DEFAULT 0,  -- the version Discord shows
  channel TEXT,                              -- where the message lives: 'webhook' or 'bot' (NULL until posted)
  message_id TEXT,                           -- NULL: the next send posts a new message (first card, or the old one is gone)
  group_size INTEGER NOT NULL DEFAULT 1,     -- > 1: the message is a storm summary shared with other cards
  posted_at INTEGER,
  due_at INTEGER NOT NULL,                   -- when the pending edit may go (firing counts wait; retries back off)
  claim_token TEXT,
  claim_until INTEGER,                       -- the claim lease: a sender that dies leaves the card to the next one
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  settle_at INTEGER,                         -- a flapping card says it settled at this time unless it changes again
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX issue_cards_pending ON issue_cards (due_at) WHERE version > shown_version;
CREATE INDEX issue_cards_by_message ON issue_cards (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX issue_cards_settle ON issue_cards (settle_at) WHERE settle_at IS NOT NULL;

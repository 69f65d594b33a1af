-- Silences (Alertmanager's matchers, a start and an end), snoozes (a silence of one issue) and "until this issue
-- resolves" silences. ends_at is NULL only with until_resolved_issue_id. A silence that was ended by hand keeps its
-- row with expired_at / expired_by; end_noted_at is the claim of its one "where they stand" message (set by a
-- compare-and-set, so several daemons on one database send it once).
CREATE TABLE silences (
  id TEXT PRIMARY KEY,                 -- silence-<ms>-<6 random>
  kind TEXT NOT NULL DEFAULT 'silence', -- silence | snooze
  matchers TEXT NOT NULL,              -- JSON: [{ field, op, value }]
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  until_resolved_issue_id TEXT,
  issue_id TEXT,                       -- the issue it was made from (snooze, until resolved, a button)
  created_by TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expired_at INTEGER,
  expired_by TEXT,
  end_noted_at INTEGER,
  CHECK (ends_at IS NOT NULL OR until_resolved_issue_id IS NOT NULL)
);
CREATE INDEX silences_live ON silences (end_noted_at, starts_at);

-- Bumped by every new, expired or removed silence or window, in the same transaction: a process re-reads the list
-- only when it moved (every ingest transaction that writes a firing comment asks), not on every firing.
CREATE TABLE silences_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO silences_version (id, version) VALUES (1, 0);

-- Maintenance windows made through the API (the config file's own live in the config); removed ones keep their row.
CREATE TABLE maintenance_windows (
  id TEXT PRIMARY KEY,                 -- window-<ms>-<6 random>
  name TEXT NOT NULL,
  matchers TEXT NOT NULL,              -- JSON
  schedule TEXT NOT NULL,              -- JSON: { time_zone, days, start, end } or { starts_at, ends_at }
  created_by TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  removed_at INTEGER,
  removed_by TEXT
);

-- Whether each window (API or config) was last seen active, and when that occurrence ends: the daemon that moves it
-- from active to ended (compare-and-set) sends the one message, across restarts and several daemons.
CREATE TABLE maintenance_window_state (
  window_id TEXT PRIMARY KEY,
  active INTEGER NOT NULL,
  occurrence_end INTEGER,
  updated_at INTEGER NOT NULL
);

-- Who owns an issue ("we know"): ends reminders; cleared when the issue resolves.
CREATE TABLE issue_acks (
  issue_id TEXT PRIMARY KEY,
  acknowledged_by TEXT NOT NULL,
  acknowledged_at INTEGER NOT NULL
);

-- One row per reminder round (the start of its interval): the daemon that inserts it sends the round's message.
CREATE TABLE reminder_rounds (
  round_start INTEGER PRIMARY KEY,
  claimed_at INTEGER NOT NULL,
  issue_count INTEGER NOT NULL DEFAULT 0
);

-- A proposal held by a silence: pending approval, no approval request sent while silenced.
ALTER TABLE actions ADD COLUMN held_by_silence TEXT;

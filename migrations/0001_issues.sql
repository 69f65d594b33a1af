-- The seed's two tables, column for column. Timestamps are integer milliseconds since the epoch.
CREATE TABLE issues (
  id TEXT PRIMARY KEY,
  server_id TEXT NOT NULL,
  alert_fingerprint TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  severity TEXT NOT NULL,
  status TEXT DEFAULT 'open',
  source TEXT NOT NULL,
  source_alert_id TEXT,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  resolved_at INTEGER,
  alert_count INTEGER DEFAULT 1,
  metadata TEXT
);

CREATE TABLE issue_comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  issue_id TEXT NOT NULL,
  author_type TEXT NOT NULL,
  author_name TEXT,
  comment_type TEXT NOT NULL,
  content TEXT NOT NULL,
  metadata TEXT,
  created_at INTEGER NOT NULL
);

-- The invariant concurrent ingesters rely on: at most one active issue per alert per server.
CREATE UNIQUE INDEX issues_one_active_per_alert ON issues (server_id, alert_fingerprint)
  WHERE status IN ('open', 'investigating');
CREATE INDEX issues_by_alert_resolved ON issues (server_id, alert_fingerprint, resolved_at);
-- Listings read each status newest first straight from this index and merge (see IssueRepository.list).
CREATE INDEX issues_by_status_last_seen ON issues (status, last_seen_at, id);
CREATE INDEX issues_by_first_seen ON issues (first_seen_at);
CREATE INDEX issue_comments_by_issue ON issue_comments (issue_id, created_at, id);

-- Idempotency: a source event delivered twice is applied once.
CREATE TABLE ingest_keys (
  source TEXT NOT NULL,
  event_key TEXT NOT NULL,
  issue_id TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (source, event_key)
) WITHOUT ROWID;

-- Where a polled source stopped (e.g. Netdata alarm_log unique_id per server), so restarts neither skip nor repeat.
CREATE TABLE source_cursors (
  source_id TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Remediation actions (DESIGN §4): every proposal the gate saw, what it decided, who approved, what ran, and whether
-- the alert cleared afterwards. Timestamps are integer milliseconds since the epoch.
CREATE TABLE actions (
  id TEXT PRIMARY KEY,                 -- act-<ms>-<6 random [a-z0-9]>
  issue_id TEXT NOT NULL,
  server_id TEXT NOT NULL,             -- the agent that executes it (fleet: each agent acts on its own machine)
  action_type TEXT NOT NULL,
  risk TEXT NOT NULL,                  -- low | medium | high
  params TEXT NOT NULL,                -- JSON, validated against the catalog
  params_hash TEXT NOT NULL,           -- sha256(canonical params)[:16]: cooldown key, and what an approval refers to
  reason TEXT NOT NULL DEFAULT '',     -- why the analysis proposed it
  status TEXT NOT NULL,                -- proposed|pending_approval|approved|executing|succeeded|failed|rejected|expired|denied|skipped
  decision_reason TEXT,
  decided_by TEXT,                     -- 'agent' or the human who approved/rejected
  decided_at INTEGER,
  analysis_comment_id INTEGER,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,                  -- approval deadline
  executed_at INTEGER,                 -- set when execution starts; the hourly window counts these
  finished_at INTEGER,
  output TEXT,
  success INTEGER,                     -- 1 | 0 | NULL (not run)
  dry_run INTEGER NOT NULL DEFAULT 0,
  verification TEXT,                   -- pending | verified | not_verified | NULL (nothing to verify)
  verify_deadline INTEGER,
  verified_at INTEGER
);
CREATE INDEX actions_by_issue ON actions (issue_id, created_at);
CREATE INDEX actions_by_status ON actions (status, expires_at);
CREATE INDEX actions_by_executed ON actions (server_id, executed_at);
CREATE INDEX actions_by_verification ON actions (verification, verify_deadline);
CREATE INDEX actions_by_created ON actions (created_at);

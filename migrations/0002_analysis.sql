-- Durable analysis jobs: enqueued in the same transaction as the issue change that calls for one, so a crash
-- between "issue created" and "analysis started" loses nothing. status: pending | running | done | failed.
CREATE TABLE analysis_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  issue_id TEXT NOT NULL,
  reason TEXT NOT NULL,                -- created | escalated | reopened | manual
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,                     -- server_id of the agent that runs it (crash recovery only touches its own)
  analyzer TEXT,                       -- local | llm, once decided
  llm_started_at INTEGER,              -- set when the job spends LLM budget (llm.maxCallsPerHour counts these)
  comment_id INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error TEXT
);

-- At most one analysis waiting or in flight per issue: 10,000 firings never queue 10,000 analyses.
CREATE UNIQUE INDEX analysis_jobs_one_active_per_issue ON analysis_jobs (issue_id) WHERE status IN ('pending', 'running');
CREATE INDEX analysis_jobs_by_status ON analysis_jobs (status, id);
CREATE INDEX analysis_jobs_by_llm_start ON analysis_jobs (llm_started_at) WHERE llm_started_at IS NOT NULL;

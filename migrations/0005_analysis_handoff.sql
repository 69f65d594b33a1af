-- When an analysis's proposals reached the remediation stage. A done job with a comment and no hand-off time (the
-- agent stopped in between, or the analysis ran from the CLI) is handed off by the daemon's analysis worker.
ALTER TABLE analysis_jobs ADD COLUMN proposals_handled_at INTEGER;
-- Analyses recorded before this migration are not replayed.
UPDATE analysis_jobs SET proposals_handled_at = finished_at WHERE status = 'done';
CREATE INDEX analysis_jobs_awaiting_handoff ON analysis_jobs (finished_at)
  WHERE status = 'done' AND comment_id IS NOT NULL AND proposals_handled_at IS NULL;
-- Remediation looks up the decisions of one analysis before taking them (a hand-off is applied once).
CREATE INDEX actions_by_analysis_comment ON actions (analysis_comment_id) WHERE analysis_comment_id IS NOT NULL;

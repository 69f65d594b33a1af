-- The fleet view (issues-list, the dashboard, GET /api/v1/issues) counts every server's issues by status on each call:
-- with this index SQLite counts from the index alone instead of reading every issue row (100,000 issues: a full
-- table scan was most of issues-list's time).
CREATE INDEX issues_by_server_status ON issues (server_id, status);

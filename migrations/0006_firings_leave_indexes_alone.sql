-- Every firing moves an active issue's last_seen_at. An index over (status, last_seen_at) for every issue made each
-- firing rewrite index pages too (a third of a durable commit's pages). Active issues are few (one per alert type
-- and server), so listing them sorts them in memory; the long history of resolved and closed issues, which firings
-- do not touch, keeps its ordered index. Status alone (for counts and for finding the active rows) never changes on
-- a firing.
DROP INDEX issues_by_status_last_seen;
CREATE INDEX issues_by_status ON issues (status);
CREATE INDEX issues_history_by_last_seen ON issues (status, last_seen_at, id) WHERE status IN ('resolved', 'closed');

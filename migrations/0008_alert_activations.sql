-- Prometheus / Alertmanager API v2 alerts (POST /api/v2/alerts): one row per label set (its fingerprint), holding
-- the activation currently or last seen. A client re-sends a firing alert every resend interval, after its own
-- restart with a new startsAt, and a resolved one for 15 minutes: the row tells a re-send (endsAt moves, nothing is
-- counted) from a new activation (a firing of the issue). A live activation not re-sent before ends_at expires (the
-- sweeper resolves its issue, as Alertmanager's resolve_timeout does), across restarts of either side.
CREATE TABLE alert_activations (
  source TEXT NOT NULL,
  fingerprint TEXT NOT NULL,          -- the label-set fingerprint (FNV-1a 64, as Prometheus computes it)
  server_id TEXT NOT NULL,            -- the issue the alert counts on: (server_id, issue_fingerprint)
  name TEXT NOT NULL,
  context TEXT NOT NULL,
  chart TEXT NOT NULL,
  issue_fingerprint TEXT NOT NULL,
  issue_id TEXT,
  starts_at INTEGER NOT NULL,         -- when the activation began (the first startsAt seen for it)
  ends_at INTEGER NOT NULL,           -- when it ends unless re-sent (the latest endsAt), or when it ended
  ended TEXT,                         -- NULL while live; 'resolved' (the sender said so) or 'expired' (not re-sent in time)
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, fingerprint)
) WITHOUT ROWID;
-- No index on ends_at: every re-send moves it, and an index entry rewritten per re-send cost more than the sweeper's
-- scan of the live rows (the alerts firing now) once a second.
CREATE INDEX alert_activations_live_by_issue ON alert_activations (server_id, issue_fingerprint) WHERE ended IS NULL;
CREATE INDEX alert_activations_by_issue_id ON alert_activations (issue_id);

-- Never holds a row. A remote database receives a group commit as one batch of statements with no answer in between;
-- a write that must change exactly one row (a firing of an issue believed active) is followed by
-- `INSERT INTO write_guards (stale) SELECT 1 WHERE changes() <> 1`, which this CHECK refuses: the batch then fails
-- and rolls back whole, and the caller decides again from the database.
CREATE TABLE write_guards (
  stale INTEGER,
  CONSTRAINT stale_write CHECK (stale IS NULL)
);

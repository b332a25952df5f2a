-- Embedded spool tables (version 3: messages.pool added; the file has incremental auto-vacuum, set by SqliteSchema). Times are Unix milliseconds (UTC).
CREATE TABLE IF NOT EXISTS messages (
    id           INTEGER PRIMARY KEY,
    queue_id     TEXT    NOT NULL UNIQUE,
    sender       TEXT    NOT NULL,          -- '' is the null reverse-path
    received_at  INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    envid        TEXT,                      -- RFC 3461 ENVID
    ret          TEXT,                      -- RFC 3461 RET
    smtputf8     INTEGER NOT NULL,
    eight_bit    INTEGER NOT NULL,
    pool         TEXT,                      -- the egress pool chosen at submission; NULL: the default pool
    content      BLOB    NOT NULL           -- last: large values live on overflow pages
);

CREATE TABLE IF NOT EXISTS recipients (
    id               INTEGER PRIMARY KEY,
    message_id       INTEGER NOT NULL REFERENCES messages(id),
    address          TEXT    NOT NULL,
    domain           TEXT    NOT NULL,
    state            INTEGER NOT NULL,       -- RecipientState: 0 queued, 1 in flight
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_reply       TEXT,
    notify           TEXT,                   -- RFC 3461 NOTIFY
    orcpt            TEXT                    -- RFC 3461 ORCPT
);

CREATE INDEX IF NOT EXISTS recipients_by_message ON recipients (message_id);
-- The schedule: due recipients of a domain, soonest first.
CREATE INDEX IF NOT EXISTS recipients_due ON recipients (domain, next_attempt_at) WHERE state = 0;
-- When the scheduler should wake next.
CREATE INDEX IF NOT EXISTS recipients_next ON recipients (next_attempt_at) WHERE state = 0;


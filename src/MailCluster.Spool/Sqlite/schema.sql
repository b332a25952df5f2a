-- Embedded spool tables (version 4: messages.message_id_header and submitter, the event journal; version 3: messages.pool; the file has incremental auto-vacuum, set by SqliteSchema). Times are Unix milliseconds (UTC).
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
    message_id_header TEXT,                 -- the content's Message-ID, for delivery events
    submitter    TEXT,                      -- the authenticated user who submitted it
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


-- The event journal: events for the sender's systems, written in the commit of what they report.
-- AUTOINCREMENT: positions never come back after the table empties, so a sink's cursor stays valid.
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     INTEGER NOT NULL,
    end_offset  INTEGER NOT NULL,            -- bytes of every body up to and including this one: backlog sizes are differences
    body        BLOB    NOT NULL
);

-- Each sink's cursor: the last position it has taken.
CREATE TABLE IF NOT EXISTS event_cursors (
    sink     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);

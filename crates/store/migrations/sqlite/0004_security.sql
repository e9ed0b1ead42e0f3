-- SECURITY S2, S3, S4, S5: lockout, password age, a session's second-factor stage and its last
-- re-authentication; S9–S11: the audit trail.
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMPTZ;
-- The TOTP secret, sealed with the data key (never stored in the clear).
ALTER TABLE users ADD COLUMN totp_sealed TEXT;
-- S8: reading ID and phone numbers unmasked is a permission of its own.
ALTER TABLE users ADD COLUMN can_unmask BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
ALTER TABLE sessions ADD COLUMN reauth_at TIMESTAMPTZ;

-- S10: append-only, each row chained to the one before by an HMAC under a key kept outside the
-- database. Ids are given by the writer (consecutive), so a removed row leaves a gap.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    user_id BIGINT,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    source TEXT NOT NULL,
    event TEXT NOT NULL,
    object TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_mac TEXT NOT NULL,
    mac TEXT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_username_idx ON audit_log (username);

-- S11: the retention purge is the only way rows go, and only rows older than the cut-off it
-- writes here inside its own transaction.
CREATE TABLE audit_purge_gate (
    cutoff TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only (SECURITY S10)');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_gate WHERE OLD.at < cutoff)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only (SECURITY S10)');
END;

-- S14: an unmasked export (and, later, anything about children) needs a second person's approval.
CREATE TABLE export_requests (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    requester TEXT NOT NULL,
    status TEXT NOT NULL,
    approver_id BIGINT REFERENCES users (id),
    approver TEXT,
    decision_note TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    used_at TIMESTAMPTZ
);
CREATE INDEX export_requests_status_idx ON export_requests (status, created_at);

-- S13: ID and phone numbers are stored sealed (AES-256-GCM under the data key, outside the
-- database); a person is found by ID number through a keyed hash, the blind index.
DROP INDEX persons_id_number_key;
ALTER TABLE persons ADD COLUMN id_hash TEXT;
CREATE UNIQUE INDEX persons_id_hash_key ON persons (id_hash) WHERE deleted_at IS NULL;

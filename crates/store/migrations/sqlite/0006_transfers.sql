-- 组织关系转接 and member status. A member in transit stays in the sending organization with a
-- pending transfer until the receiving side decides; a membership that ends (transferred out,
-- left, deceased) leaves the roster (deleted_at) while its status history stays here, written
-- with the name and organization at the time so it outlives the member row's retention.
ALTER TABLE members ADD COLUMN status TEXT NOT NULL DEFAULT 'normal';

CREATE TABLE transfers (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL,
    from_org_id BIGINT REFERENCES party_orgs (id),
    to_org_id BIGINT REFERENCES party_orgs (id),
    outside TEXT NOT NULL DEFAULT '',
    letter_no TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    started_on DATE NOT NULL,
    decided_on DATE,
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    decided_by TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX transfers_member_idx ON transfers (member_id);
CREATE INDEX transfers_status_idx ON transfers (status, started_on);

CREATE TABLE member_status_changes (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL,
    person_name TEXT NOT NULL,
    org_code TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    changed_on DATE NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX member_status_changes_member_idx ON member_status_changes (member_id, changed_on);

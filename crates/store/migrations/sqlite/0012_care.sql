-- 结对帮扶留守儿童 (DOMAIN R6.2; SECURITY S8, S13, S14). Everything about a child is one sealed
-- value (AES-256-GCM under the data key); only the school, the pairing's member and dates stay
-- plain, for scope checks and the visit rules. No ID number, no address, no parents' details.
ALTER TABLE users ADD COLUMN can_children BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Closed: no longer left behind, turned 16, or left the school; purged after retention (S15).
    closed_on DATE,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX children_institution_idx ON children (institution_id);

CREATE TABLE child_pairings (
    id INTEGER PRIMARY KEY,
    child_id BIGINT NOT NULL REFERENCES children (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    started_on DATE NOT NULL,
    ended_on DATE,
    -- The kinds of help agreed (sealed).
    sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_pairings_child_idx ON child_pairings (child_id);
CREATE INDEX child_pairings_member_idx ON child_pairings (member_id);

CREATE TABLE child_visits (
    id INTEGER PRIMARY KEY,
    pairing_id BIGINT NOT NULL REFERENCES child_pairings (id),
    visited_on DATE NOT NULL,
    -- The help given and what happened (sealed).
    sealed TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX child_visits_pairing_idx ON child_visits (pairing_id);

-- 发展党员 (DOMAIN §3): one row per recorded step of a person's development record. Rows are
-- appended in order; the last one may be withdrawn (deleted_at) to correct a mistake, with the
-- change logged.
CREATE TABLE development_steps (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    step BIGINT NOT NULL,
    done_on DATE NOT NULL,
    people TEXT NOT NULL DEFAULT '',
    days DOUBLE PRECISION,
    hours DOUBLE PRECISION,
    due BIGINT,
    present BIGINT,
    yes BIGINT,
    approver_org_id BIGINT REFERENCES party_orgs (id),
    notice_from DATE,
    notice_to DATE,
    outcome TEXT,
    extend_months BIGINT,
    passed BOOLEAN,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX development_steps_person_idx ON development_steps (person_id, step);
CREATE INDEX development_steps_org_idx ON development_steps (org_id, done_on);

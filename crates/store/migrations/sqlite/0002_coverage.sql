-- Coverage audit snapshots and rectification tasks (SQLite).
CREATE TABLE audit_snapshots (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    as_of DATE NOT NULL,
    operating BIGINT NOT NULL,
    planned BIGINT NOT NULL,
    rate_members DOUBLE PRECISION NOT NULL,
    rate_leadership DOUBLE PRECISION NOT NULL,
    rate_organization DOUBLE PRECISION NOT NULL,
    findings BIGINT NOT NULL,
    result_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX audit_snapshots_region_date_key ON audit_snapshots (region_code, as_of);

CREATE TABLE rectification_tasks (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    institution_code TEXT NOT NULL,
    check_code TEXT NOT NULL,
    gap TEXT NOT NULL,
    rule TEXT NOT NULL,
    remedy_json TEXT NOT NULL,
    responsible TEXT NOT NULL,
    deadline DATE NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    gap_present BOOLEAN NOT NULL DEFAULT TRUE,
    checked_on DATE,
    gap_closed_on DATE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX rectification_tasks_finding_key ON rectification_tasks (institution_code, gap) WHERE deleted_at IS NULL AND status <> 'verified';
CREATE INDEX rectification_tasks_region_idx ON rectification_tasks (region_code, deadline);

-- Organizational life (DOMAIN §4): activities, who was due and how they attended, the county's
-- monthly themes, invitations to observation events, 民主评议 grades and study records (SQLite).
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    kind TEXT NOT NULL,
    kind_name TEXT,
    topic TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    minutes BIGINT NOT NULL,
    place TEXT NOT NULL,
    host TEXT NOT NULL,
    recorder TEXT NOT NULL,
    lecturer TEXT,
    content TEXT NOT NULL,
    decisions TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    return_reason TEXT,
    reviewed_by TEXT,
    reviewed_at TIMESTAMPTZ,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX activities_org_idx ON activities (org_id, starts_at);
CREATE INDEX activities_starts_idx ON activities (starts_at);

CREATE TABLE activity_invites (
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    PRIMARY KEY (activity_id, org_id)
);

-- The schools hosting an observation event (观摩活动).
CREATE TABLE activity_hosts (
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    PRIMARY KEY (activity_id, institution_id)
);

CREATE TABLE attendance (
    id INTEGER PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    state TEXT NOT NULL,
    reason TEXT,
    checked_in_at TIMESTAMPTZ,
    by_phone BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX attendance_activity_member_key ON attendance (activity_id, member_id);
CREATE INDEX attendance_member_idx ON attendance (member_id);

CREATE TABLE life_guides (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    month DATE NOT NULL,
    topic TEXT NOT NULL,
    materials TEXT NOT NULL,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX life_guides_region_month_key ON life_guides (region_code, month) WHERE deleted_at IS NULL;

CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    year BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id),
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    grade TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX evaluations_year_member_key ON evaluations (year, member_id);
CREATE INDEX evaluations_org_idx ON evaluations (org_id, year);

CREATE TABLE study_records (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    studied_on DATE NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX study_records_member_idx ON study_records (member_id, studied_on);

CREATE TABLE activity_files (
    id INTEGER PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX activity_files_activity_idx ON activity_files (activity_id);

-- The county's own kinds of activity beyond those of DOMAIN §4 (chosen as "other").
CREATE TABLE activity_kinds (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX activity_kinds_region_name_key ON activity_kinds (region_code, name) WHERE deleted_at IS NULL;

-- When each member last attended (R3.5), kept with every attendance change so the absence list
-- does not aggregate all attendance on each view.
ALTER TABLE members ADD COLUMN last_present_at TIMESTAMPTZ;

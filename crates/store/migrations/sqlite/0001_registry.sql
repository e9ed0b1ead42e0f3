-- Registry, accounts, sessions and change history (SQLite).
-- Every editable record: version (S24), created/updated times, soft delete (S25).
CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_code TEXT,
    level TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX regions_code_key ON regions (code) WHERE deleted_at IS NULL;

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ownership TEXT NOT NULL,
    status TEXT NOT NULL,
    town_code TEXT NOT NULL,
    county_code TEXT NOT NULL,
    parent_id BIGINT REFERENCES institutions (id),
    longitude DOUBLE PRECISION,
    latitude DOUBLE PRECISION,
    students BIGINT,
    classes BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX institutions_code_key ON institutions (code) WHERE deleted_at IS NULL;
CREATE INDEX institutions_county_idx ON institutions (county_code, code);
CREATE INDEX institutions_town_idx ON institutions (town_code);
CREATE INDEX institutions_parent_idx ON institutions (parent_id);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date DATE NOT NULL,
    phone TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX persons_id_number_key ON persons (id_number) WHERE deleted_at IS NULL;
CREATE INDEX persons_name_idx ON persons (name);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    post TEXT,
    leadership_role TEXT,
    political_status TEXT NOT NULL,
    development_stage TEXT,
    backbone BOOLEAN NOT NULL DEFAULT FALSE,
    head_teacher BOOLEAN NOT NULL DEFAULT FALSE,
    mental_health BOOLEAN NOT NULL DEFAULT FALSE,
    work_start DATE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX staff_person_institution_key ON staff (person_id, institution_id) WHERE deleted_at IS NULL;
CREATE INDEX staff_institution_idx ON staff (institution_id);

CREATE TABLE party_orgs (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES party_orgs (id),
    region_code TEXT NOT NULL,
    founded_on DATE,
    term_start DATE,
    term_years BIGINT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX party_orgs_code_key ON party_orgs (code) WHERE deleted_at IS NULL;
CREATE INDEX party_orgs_parent_idx ON party_orgs (parent_id);
CREATE INDEX party_orgs_region_idx ON party_orgs (region_code);

CREATE TABLE coverages (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    mode TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX coverages_org_institution_key ON coverages (org_id, institution_id) WHERE deleted_at IS NULL;
CREATE INDEX coverages_institution_idx ON coverages (institution_id);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    category TEXT NOT NULL,
    admitted_on DATE NOT NULL,
    full_on DATE,
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    work_institution_id BIGINT REFERENCES institutions (id),
    party_post TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX members_person_key ON members (person_id) WHERE deleted_at IS NULL;
CREATE INDEX members_org_idx ON members (org_id);
CREATE INDEX members_work_idx ON members (work_institution_id);

CREATE TABLE instructors (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    assigned_on DATE NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX instructors_person_institution_key ON instructors (person_id, institution_id) WHERE deleted_at IS NULL;
CREATE INDEX instructors_institution_idx ON instructors (institution_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    region_code TEXT,
    org_id BIGINT REFERENCES party_orgs (id),
    person_id BIGINT REFERENCES persons (id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_username_key ON users (username) WHERE deleted_at IS NULL;

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE change_log (
    id INTEGER PRIMARY KEY,
    table_name TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX change_log_record_idx ON change_log (table_name, record_id);

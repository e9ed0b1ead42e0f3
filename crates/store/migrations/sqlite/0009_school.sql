-- Honors (荣誉) held by schools or Party organizations, and each school's own indicators (业务) per
-- year, with class sizes counted by R6.1.
CREATE TABLE honors (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    year BIGINT NOT NULL,
    issuer TEXT NOT NULL,
    institution_id BIGINT REFERENCES institutions (id),
    org_id BIGINT REFERENCES party_orgs (id),
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX honors_year_idx ON honors (year, kind);
CREATE INDEX honors_institution_idx ON honors (institution_id);

CREATE TABLE school_indicators (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    year BIGINT NOT NULL,
    students BIGINT NOT NULL,
    classes BIGINT NOT NULL,
    large_classes BIGINT NOT NULL,
    oversized_classes BIGINT NOT NULL,
    teachers BIGINT NOT NULL,
    building_m2 BIGINT NOT NULL,
    admitted BIGINT,
    candidates BIGINT,
    poor_supported BIGINT NOT NULL,
    investment_yuan BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX school_indicators_key ON school_indicators (institution_id, year);

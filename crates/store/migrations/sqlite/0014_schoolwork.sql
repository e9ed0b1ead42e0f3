-- 条块结合、送教下乡、同课异构、带团建带少建 (issue: 党建+, parts 2, 4 and 6).
-- A school's Youth League branch or Young Pioneers brigade, guided by a Party organization.
CREATE TABLE youth_units (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    leader TEXT NOT NULL,
    guiding_org_id BIGINT REFERENCES party_orgs (id),
    members BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX youth_units_key ON youth_units (institution_id, kind);

-- 送教下乡: a team of member teachers.
CREATE TABLE teaching_teams (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    name TEXT NOT NULL,
    year BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE teaching_team_members (
    team_id BIGINT NOT NULL REFERENCES teaching_teams (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    PRIMARY KEY (team_id, member_id)
);

CREATE TABLE school_activities (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    kind TEXT NOT NULL,
    held_on DATE NOT NULL,
    title TEXT NOT NULL,
    -- 送教下乡: the school reached.
    target_institution_id BIGINT REFERENCES institutions (id),
    team_id BIGINT REFERENCES teaching_teams (id),
    lessons BIGINT NOT NULL DEFAULT 0,
    participants BIGINT NOT NULL DEFAULT 0,
    -- League and Pioneers activities: what they were.
    form TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX school_activities_institution_idx ON school_activities (institution_id, held_on);
CREATE INDEX school_activities_target_idx ON school_activities (target_institution_id);
CREATE TABLE school_activity_members (
    activity_id BIGINT NOT NULL REFERENCES school_activities (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    PRIMARY KEY (activity_id, member_id)
);

-- 创建评比: a campaign, its indicators (points add up to 100), the schools that apply, and the
-- scores — the school's own (reviewer 'self') and each reviewer's, independently.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    year BIGINT NOT NULL,
    level TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE campaign_indicators (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    position BIGINT NOT NULL,
    code TEXT NOT NULL,
    grp TEXT NOT NULL,
    name TEXT NOT NULL,
    max_points DOUBLE PRECISION NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX campaign_indicators_campaign_idx ON campaign_indicators (campaign_id, position);

CREATE TABLE campaign_entries (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    institution_id BIGINT NOT NULL REFERENCES institutions (id),
    applied_on DATE NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX campaign_entries_key ON campaign_entries (campaign_id, institution_id);

CREATE TABLE campaign_scores (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES campaign_entries (id),
    indicator_id BIGINT NOT NULL REFERENCES campaign_indicators (id),
    reviewer TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX campaign_scores_key ON campaign_scores (entry_id, indicator_id, reviewer);

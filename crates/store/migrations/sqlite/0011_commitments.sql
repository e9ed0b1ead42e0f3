-- 亮承诺: a member's commitment per year and dimension, with the mid-year and year-end reviews.
CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    year BIGINT NOT NULL,
    dimension TEXT NOT NULL,
    content TEXT NOT NULL,
    mid_grade TEXT,
    mid_note TEXT NOT NULL DEFAULT '',
    end_grade TEXT,
    end_note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX commitments_key ON commitments (member_id, year, dimension);

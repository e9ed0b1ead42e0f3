-- 党员先锋岗、党员示范岗: one designation per member and year, made by the branch.
CREATE TABLE vanguard_posts (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    designated_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX vanguard_posts_key ON vanguard_posts (member_id, year);

-- 换届选举 (R1.4–R1.7): each election of an organization with its attendance and the elected
-- posts and votes; recording one starts the organization's next term and fills its posts.
CREATE TABLE elections (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    held_on DATE NOT NULL,
    due BIGINT NOT NULL,
    present BIGINT NOT NULL,
    term_years BIGINT NOT NULL,
    remarks TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX elections_org_idx ON elections (org_id, held_on);

CREATE TABLE election_results (
    id INTEGER PRIMARY KEY,
    election_id BIGINT NOT NULL REFERENCES elections (id),
    member_id BIGINT NOT NULL,
    person_name TEXT NOT NULL,
    post TEXT NOT NULL,
    votes BIGINT NOT NULL
);
CREATE INDEX election_results_election_idx ON election_results (election_id);

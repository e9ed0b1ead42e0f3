-- 党费 (DOMAIN §5): each member's base for a year (from a month on, when the R4.5 setting lets a
-- change count from its month), the payments month by month (a back payment is one paid after
-- its month; proxy payments named), and reductions with the branch's review and the higher
-- committee's approval (R4.4). Amounts in fen.
CREATE TABLE dues_bases (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    year BIGINT NOT NULL,
    from_month BIGINT NOT NULL,
    category TEXT NOT NULL,
    base_fen BIGINT NOT NULL,
    farmer_fen BIGINT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX dues_bases_member_key ON dues_bases (member_id, year, from_month);

CREATE TABLE dues_payments (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    year BIGINT NOT NULL,
    month BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    paid_on DATE NOT NULL,
    proxy TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX dues_payments_member_key ON dues_payments (member_id, year, month);

CREATE TABLE dues_reductions (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    from_year BIGINT NOT NULL,
    from_month BIGINT NOT NULL,
    to_year BIGINT NOT NULL,
    to_month BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    reason TEXT NOT NULL,
    applied_on DATE NOT NULL,
    reviewed_on DATE,
    approved_on DATE,
    approver_org_id BIGINT REFERENCES party_orgs (id),
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dues_reductions_member_idx ON dues_reductions (member_id);

-- 在职党员到社区报到 (DOMAIN R6.3), 党员教师志愿者+课后服务, 党员服务站 and 居民说事.
CREATE TABLE service_stations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES party_orgs (id),
    name TEXT NOT NULL,
    community TEXT NOT NULL,
    opened_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_stations_org_idx ON service_stations (org_id);

-- One registration per member: the community where they live.
CREATE TABLE service_registrations (
    member_id BIGINT PRIMARY KEY REFERENCES members (id),
    community TEXT NOT NULL,
    registered_on DATE NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE service_records (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    served_on DATE NOT NULL,
    kind TEXT NOT NULL,
    -- Hours in tenths (1.5 h = 15).
    hours_tenths BIGINT NOT NULL CHECK (hours_tenths > 0 AND hours_tenths <= 240),
    content TEXT NOT NULL,
    station_id BIGINT REFERENCES service_stations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_records_member_idx ON service_records (member_id, served_on);

-- 居民说事: a resident's concern raised at a station, assigned to a member, handled, answered.
CREATE TABLE concerns (
    id INTEGER PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES service_stations (id),
    raised_on DATE NOT NULL,
    content TEXT NOT NULL,
    state TEXT NOT NULL,
    member_id BIGINT REFERENCES members (id),
    handled_note TEXT NOT NULL DEFAULT '',
    handled_on DATE,
    answer TEXT NOT NULL DEFAULT '',
    answered_on DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX concerns_station_idx ON concerns (station_id);

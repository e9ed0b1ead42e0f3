-- One pairing in force per child, kept by the database as well (two requests at once cannot
-- leave two).
CREATE UNIQUE INDEX child_pairings_open ON child_pairings (child_id) WHERE ended_on IS NULL;

-- One history row for many records: an import's created rows of one table have consecutive
-- ids, and it writes one "create" row for record_id ..= record_id_last instead of one per row.
-- A range row holds no record's content (no personal data); purging records leaves it.
ALTER TABLE change_log ADD COLUMN record_id_last BIGINT;
CREATE INDEX change_log_range_idx ON change_log (table_name, record_id) WHERE record_id_last IS NOT NULL;

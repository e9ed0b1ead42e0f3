-- persons_name_idx served no query: a person is found by name with a contains-match
-- (name LIKE '%…%'), which no B-tree index can answer, and lists order by school and id, never by
-- a person's name. It only cost upkeep: a province's first import spent more than a second
-- building it. An ID number is still found through its blind index (persons_id_hash_key).
DROP INDEX IF EXISTS persons_name_idx;

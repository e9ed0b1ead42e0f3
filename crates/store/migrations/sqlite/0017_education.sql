-- 学历: a member's highest education (党内统计 counts members by it). Optional.
ALTER TABLE members ADD COLUMN education TEXT;

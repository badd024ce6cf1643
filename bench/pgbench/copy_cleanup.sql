-- Undoes bench/pgbench/copy_target.sql: the copied rows, the trigger and the tag column; then
-- vacuums, since a million dead rows left in the indexes slow every later scenario several times.
DROP TRIGGER IF EXISTS bench_copy_derived ON customers;
DROP FUNCTION IF EXISTS bench_copy_derived();
DELETE FROM customers WHERE bench_tags_text IS NOT NULL OR source = 'bench_import';
ALTER TABLE customers DROP COLUMN IF EXISTS bench_tags_text;
VACUUM (ANALYZE) customers;

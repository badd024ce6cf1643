-- A burst of newer leads, as a lead import or a busy web form leaves it, on a seeded database:
-- :burst customers (psql -v burst=400000), all `lead`, created after every seeded one, with
-- autovacuum off on the table so the statistics stay those of the seed (as they are from the
-- burst until autovacuum analyses the table again). `list_page` on this table is the case the
-- keyset page must not get wrong. Undo: DELETE FROM customers WHERE source = 'bench_burst';
-- ALTER TABLE customers RESET (autovacuum_enabled); VACUUM (ANALYZE) customers;
ALTER TABLE customers SET (autovacuum_enabled = false);
INSERT INTO customers (id, kind, name, lifecycle_stage, source, owner_id, tags, consent_opted_in,
                       custom_fields, search_text, folded, created_at, updated_at, version)
SELECT gen_random_uuid(), 'individual', 'Lead ' || i, 'lead', 'bench_burst',
       (SELECT id FROM users WHERE email LIKE 'sales%' ORDER BY email LIMIT 1), '[]', false,
       '{}', 'lead ' || i, '{}', last.at + i * interval '1 second', now(), 1
FROM generate_series(1, :burst) i,
     (SELECT max(created_at) AS at FROM customers) last;

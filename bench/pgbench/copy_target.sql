-- The import benchmark's baseline: PostgreSQL's own COPY of the import file into customers
-- itself, the table the import writes, with its rows and every one of its indexes in place.
-- The table has no defaults (Rapport sets every column), so a trigger sets what the file does
-- not hold (id, times, version, empty custom values) and derives what the API derives from each
-- row (the tags, the search text the trigram index holds, the name key duplicates are found by,
-- the folded values filters compare) in SQL; the file's tag list lands as text in a column of
-- its own. bench/pgbench/copy_cleanup.sql removes the rows and all of this again.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS bench_tags_text text;
CREATE OR REPLACE FUNCTION bench_copy_derived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.id := coalesce(NEW.id, gen_random_uuid());
  NEW.created_at := coalesce(NEW.created_at, now());
  NEW.updated_at := coalesce(NEW.updated_at, NEW.created_at);
  NEW.version := coalesce(NEW.version, 1);
  NEW.custom_fields := coalesce(NEW.custom_fields, '{}'::json);
  NEW.tags := coalesce(NEW.tags, to_json(coalesce(string_to_array(nullif(NEW.bench_tags_text, ''), '|'), '{}'::text[])));
  NEW.search_text := concat_ws(' ', lower(NEW.name), NEW.email, NEW.phone);
  NEW.name_key := regexp_replace(lower(NEW.name), '[^[:alnum:]]+', '', 'g');
  NEW.folded := json_strip_nulls(json_build_object(
    'name', lower(NEW.name), 'email', NEW.email, 'phone', NEW.phone, 'source', NEW.source,
    'external_id', NEW.external_id, 'address.country', lower(NEW.address_country),
    'address.province', lower(NEW.address_province), 'address.city', lower(NEW.address_city),
    'address.district', lower(NEW.address_district), 'address.street', lower(NEW.address_street),
    'address.postal_code', lower(NEW.address_postal_code)));
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS bench_copy_derived ON customers;
CREATE TRIGGER bench_copy_derived BEFORE INSERT ON customers
  FOR EACH ROW EXECUTE FUNCTION bench_copy_derived();

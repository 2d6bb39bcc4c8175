-- Hand-written: Prisma's schema cannot describe partitioning (see docs/SCALING.md).
-- llm_requests becomes a table partitioned by range of "createdAt": one partition per UTC month
-- (llm_requests_pYYYYMM) and a default partition for rows outside every month partition.
-- Monthly, not daily: with 400 day partitions a query without a time bound (log list, a log by
-- id) spent over a second planning, see docs/SCALING.md for the measurements.
-- Old logs go by dropping whole month partitions (services/analytics/requestPartitions.ts).
-- The primary key becomes ("id", "createdAt"): a unique key must contain the partition key.
-- Existing rows are copied, indexes, generated columns and foreign keys are carried over from
-- the old table as they are (whatever earlier migrations made of them).

-- Creates the missing month partitions of the months from p_from's to the one before p_to's
-- (p_to itself included when it is not the 1st) and returns their names. Rows of those months
-- already in the default partition are moved into the new partition.
CREATE OR REPLACE FUNCTION llmguard_create_request_partitions(p_from date, p_to date)
RETURNS SETOF text
LANGUAGE plpgsql
AS $fn$
DECLARE
  d date;
  part text;
  cols text;
  moved bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('llmguard_request_partitions'));
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
  FROM pg_attribute a
  WHERE a.attrelid = 'llm_requests'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
  d := date_trunc('month', p_from)::date;
  WHILE d < p_to LOOP
    part := 'llm_requests_p' || to_char(d, 'YYYYMM');
    IF to_regclass(quote_ident(part)) IS NULL THEN
      SELECT count(*) INTO moved FROM llm_requests_default
      WHERE "createdAt" >= d::timestamp AND "createdAt" < (d + interval '1 month')::date::timestamp;
      IF moved > 0 THEN
        EXECUTE format('CREATE TEMP TABLE llmguard_moving ON COMMIT DROP AS SELECT %s FROM llm_requests_default
          WHERE "createdAt" >= %L AND "createdAt" < %L', cols, d::timestamp, (d + interval '1 month')::date::timestamp);
        DELETE FROM llm_requests_default WHERE "createdAt" >= d::timestamp AND "createdAt" < (d + interval '1 month')::date::timestamp;
      END IF;
      EXECUTE format('CREATE TABLE %I PARTITION OF llm_requests FOR VALUES FROM (%L) TO (%L)',
        part, d::timestamp, (d + interval '1 month')::date::timestamp);
      IF moved > 0 THEN
        EXECUTE format('INSERT INTO llm_requests (%s) SELECT %s FROM llmguard_moving', cols, cols);
        DROP TABLE llmguard_moving;
      END IF;
      RETURN NEXT part;
    END IF;
    d := (d + interval '1 month')::date;
  END LOOP;
END
$fn$;

-- Drops the month partitions that end on or before p_before and returns their names.
CREATE OR REPLACE FUNCTION llmguard_drop_request_partitions(p_before date)
RETURNS SETOF text
LANGUAGE plpgsql
AS $fn$
DECLARE
  r record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('llmguard_request_partitions'));
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'llm_requests'::regclass AND c.relname ~ '^llm_requests_p[0-9]{6}$'
    ORDER BY c.relname
  LOOP
    IF (to_date(substr(r.relname, 15), 'YYYYMM') + interval '1 month')::date <= p_before THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      RETURN NEXT r.relname;
    END IF;
  END LOOP;
END
$fn$;

DO $conv$
DECLARE
  r record;
  cols text;
  first_day date;
BEGIN
  -- Index and foreign key definitions of the current table, recreated on the new one.
  CREATE TEMP TABLE llmguard_old_defs ON COMMIT DROP AS
    SELECT 'index' AS kind, i.indexname AS name, i.indexdef AS def
    FROM pg_indexes i
    WHERE i.tablename = 'llm_requests' AND i.schemaname = current_schema() AND i.indexname <> 'llm_requests_pkey'
    UNION ALL
    SELECT 'fkey', c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c WHERE c.conrelid = 'llm_requests'::regclass AND c.contype = 'f';

  ALTER TABLE llm_requests RENAME TO llm_requests_unpartitioned;
  FOR r IN SELECT * FROM llmguard_old_defs WHERE kind = 'index' LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', r.name, left('old_' || r.name, 63));
  END LOOP;
  ALTER INDEX llm_requests_pkey RENAME TO llm_requests_unpartitioned_pkey;
  FOR r IN SELECT * FROM llmguard_old_defs WHERE kind = 'fkey' LOOP
    EXECUTE format('ALTER TABLE llm_requests_unpartitioned RENAME CONSTRAINT %I TO %I', r.name, left('old_' || r.name, 63));
  END LOOP;

  CREATE TABLE llm_requests (
    LIKE llm_requests_unpartitioned INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE
      INCLUDING COMMENTS
  ) PARTITION BY RANGE ("createdAt");
  ALTER TABLE llm_requests ADD CONSTRAINT llm_requests_pkey PRIMARY KEY ("id", "createdAt");
  FOR r IN SELECT * FROM llmguard_old_defs WHERE kind = 'index' LOOP
    EXECUTE r.def;
  END LOOP;
  FOR r IN SELECT * FROM llmguard_old_defs WHERE kind = 'fkey' LOOP
    EXECUTE format('ALTER TABLE llm_requests ADD CONSTRAINT %I %s', r.name, r.def);
  END LOOP;
  CREATE TABLE llm_requests_default PARTITION OF llm_requests DEFAULT;

  -- Month partitions for the rows of the last 13 months and the next month, older rows in the default.
  SELECT greatest(min("createdAt")::date, ((now() AT TIME ZONE 'UTC') - interval '13 months')::date) INTO first_day
  FROM llm_requests_unpartitioned;
  PERFORM llmguard_create_request_partitions(
    least(coalesce(first_day, (now() AT TIME ZONE 'UTC')::date), (now() AT TIME ZONE 'UTC')::date),
    ((now() AT TIME ZONE 'UTC') + interval '1 month')::date + 1);

  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
  FROM pg_attribute a
  WHERE a.attrelid = 'llm_requests_unpartitioned'::regclass AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attgenerated = '';
  EXECUTE format('INSERT INTO llm_requests (%s) SELECT %s FROM llm_requests_unpartitioned', cols, cols);
  DROP TABLE llm_requests_unpartitioned;
END
$conv$;

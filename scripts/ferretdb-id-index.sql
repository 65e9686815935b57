-- Makes `find({_id: <integer>})` an index lookup on FerretDB v1.24's PostgreSQL handler.
-- Run once per PostgreSQL database FerretDB uses (psql -f; idempotent; needs superuser).
--
-- FerretDB pushes `_id` equality down as `_jsonb -> '_id' @> <value>` (the key is a bound
-- parameter). Its own `_id` index is a btree on `(_jsonb -> '_id')`, which cannot answer
-- `@>`, so PostgreSQL scans the table. A GIN index on the same expression can, once
-- PostgreSQL plans each statement with the key filled in: start the server with
-- `plan_cache_mode = force_custom_plan`, or a cached generic plan keeps scanning.
--
-- Without fastupdate, every insert updates the index at once: with it, new entries wait in a
-- pending list that every lookup scans in full (milliseconds more per lookup after a bulk load).
--
-- FerretDB creates a table per collection when the collection is first used, so an event
-- trigger adds the index to every table it creates (its `_ferretdb_*` tables excepted).
-- FerretDB does not know about the index: it neither lists nor drops it, and the index
-- goes away with its table when the collection is dropped.
CREATE OR REPLACE FUNCTION users_api_ferretdb_id_gin() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    created record;
BEGIN
    FOR created IN
        SELECT objid, object_identity FROM pg_event_trigger_ddl_commands()
        WHERE command_tag = 'CREATE TABLE' AND object_type = 'table'
    LOOP
        IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = created.objid AND attname = '_jsonb')
           AND (SELECT relname FROM pg_class WHERE oid = created.objid) NOT LIKE '\_ferretdb\_%'
        THEN
            EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb -> %L)) WITH (fastupdate = off)',
                           created.object_identity, '_id');
        END IF;
    END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS users_api_ferretdb_id_gin;
CREATE EVENT TRIGGER users_api_ferretdb_id_gin ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION users_api_ferretdb_id_gin();

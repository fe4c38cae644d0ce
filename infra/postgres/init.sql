-- Run once by the postgres image when its data volume is first initialised
-- (/docker-entrypoint-initdb.d), inside POSTGRES_DB. Search needs pg_trgm; creating it
-- here keeps the app's migrations from needing anything beyond database-owner rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

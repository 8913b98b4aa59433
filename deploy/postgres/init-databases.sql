-- One database per service (no service reads another's tables).
-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- Each service's `migrate` also creates its own database when missing.
CREATE DATABASE taskwire_projects;
CREATE DATABASE taskwire_tasks;
CREATE DATABASE taskwire_aggregator;

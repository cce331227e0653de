-- Run once by the postgres image on a new volume (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d), as the image's superuser: the tables get an owner that is
-- not a superuser, and the service a role that can neither own them nor switch their
-- append-only triggers off (README, PostgreSQL). Change the passwords before exposing it.
CREATE ROLE stanceline_owner LOGIN PASSWORD 'owner-change-me';
CREATE ROLE stanceline_app LOGIN PASSWORD 'app-change-me';
CREATE DATABASE stanceline OWNER stanceline_owner;
\connect stanceline
ALTER SCHEMA public OWNER TO stanceline_owner;

-- tokenkeeper PostgreSQL store, schema version 3: each consumer row carries the daemon's
-- authentication tag (an HMAC under a key derived from the master key, which the database never
-- holds). A row without a valid tag, such as one inserted by hand, grants nothing.

alter table ${schema}.consumers add column if not exists mac text check (mac is null or length(mac) <= 200);

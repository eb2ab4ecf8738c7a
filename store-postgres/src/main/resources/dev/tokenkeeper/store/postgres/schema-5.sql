-- tokenkeeper PostgreSQL store, schema version 5: the due queue in the database. Each credential
-- carries when it is next due (epoch milliseconds of the daemons' clock); daemons claim due rows in
-- batches with UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) and the refresh lease.
--   next_due = 0     not planned yet (a row from before this version, or one inserted a moment ago):
--                    due before everything, so a store fills in its plan page by page;
--   next_due > 0     planned;
--   next_due NULL    kept out of claims (it needs a human) until something plans it again.
-- Adding a column with a constant default rewrites nothing (PostgreSQL 11+), even for a million rows.

alter table ${schema}.credentials add column if not exists next_due bigint default 0;
alter table ${schema}.credentials add column if not exists due_retry boolean not null default false;

-- The claim reads this index in order and stops after n rows; rows that need a human are not in it.
create index if not exists credentials_due on ${schema}.credentials (next_due) where next_due is not null;

-- Every refresh rewrites its credential row (a new sealed secret, version and next_due), so the
-- table's dead rows grow with the refresh rate, not with its size: at the default 20 % scale factor
-- a million-row table would wait for 200,000 dead rows, and the claim's index scan would walk them.
-- Vacuum after 1 % instead, and let it run with a short cost delay. Each row is rewritten in place
-- in its own page when the page has room (fillfactor 80): a lease taken or renewed changes no indexed
-- column and stays a heap-only update.
alter table ${schema}.credentials set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_cost_delay = 2, fillfactor = 80);
-- The history only grows (one row per refresh): vacuum it for its visibility map after 5 % new rows
-- (so index-only scans stay cheap), not the default 20 %.
alter table ${schema}.refresh_history set (autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.05);

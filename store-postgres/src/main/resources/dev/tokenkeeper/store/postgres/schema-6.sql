-- tokenkeeper PostgreSQL store, schema version 6: changes are written down, not notified one by one.
-- Until version 5 a trigger ran pg_notify for every insert, version change and delete: every such
-- commit then took PostgreSQL's one notification-queue lock, so refresh commits were serialised, and
-- every daemon received every change. Now the trigger appends a row to ${schema}.changes in the same
-- transaction (so a commit never loses its announcement, even if the daemon dies right after it);
-- a daemon that wrote sends at most one NOTIFY ${schema}_changes (no payload) per short interval, and
-- each listener reads the rows of the transactions that ended since its last read, by transaction id:
--   xid     the writing transaction (pg_current_xact_id()); a listener takes the xmin of its snapshot
--           as its watermark and reads the rows with previous watermark <= xid < new watermark:
--           every transaction below the xmin has ended, so a row that commits late with a lower seq
--           is not skipped, and no row is read twice;
--   origin  the writing store's own name (the session setting tokenkeeper.origin), so a daemon does
--           not read back its own changes; NULL for a change made outside tokenkeeper.
-- The daemons prune rows older than ten minutes now and then, moving changes_horizon.below first;
-- a listener whose watermark is below it missed rows and drops its token cache instead.

create table if not exists ${schema}.changes (
    seq    bigserial primary key,
    xid    xid8        not null default pg_current_xact_id(),
    id     text        not null,
    origin text,
    at     timestamptz not null default now()
);
create index if not exists changes_by_xid on ${schema}.changes (xid);

create table if not exists ${schema}.changes_horizon (
    below xid8 not null
);
insert into ${schema}.changes_horizon (below)
    select '0'::xid8 where not exists (select 1 from ${schema}.changes_horizon);

-- The same trigger as in version 1 (insert, delete, update of version), writing a row instead of
-- notifying. Consumer changes (version 2's statement trigger) are rare and still notified at once.
create or replace function ${schema}.announce_change() returns trigger language plpgsql as $fn$
begin
    insert into ${schema}.changes (id, origin)
        values (case when tg_op = 'DELETE' then old.id else new.id end,
                nullif(current_setting('tokenkeeper.origin', true), ''));
    return null;
end
$fn$;

-- Only appended to and pruned in bulk: vacuum after pruning, not after a share of dead rows that
-- a busy hour would take to reach.
alter table ${schema}.changes set (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_insert_scale_factor = 0.05);

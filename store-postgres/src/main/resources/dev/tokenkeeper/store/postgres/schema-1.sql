-- tokenkeeper PostgreSQL store, schema version 1.
-- Times are epoch milliseconds (bigint) as in the other stores, except the lease end, which is the
-- server's own time (timestamptz) so that daemons with different clocks agree on it.
-- sealed_secret holds the bytes the daemon encrypted (AES-256-GCM): the database never sees a token in clear.

create table if not exists ${schema}.credentials (
    id                 text   primary key,
    provider           text   not null,
    account            text   not null,
    status             text   not null
        check (status in ('active', 'expired', 'error', 'requires_configuration')),
    version            bigint not null check (version >= 0),
    sealed_secret      bytea  not null,
    issued_at          bigint not null,
    access_expires_at  bigint,
    refresh_expires_at bigint,
    last_refresh_at    bigint,
    last_error         text,
    updated_at         bigint not null,
    lease_owner        text,
    lease_until        timestamptz
);

create table if not exists ${schema}.refresh_history (
    id            bigserial primary key,
    credential_id text   not null,
    at            bigint not null,
    outcome       text   not null,
    detail        text   not null default '',
    duration_ms   bigint not null default 0,
    version       bigint not null
);

create index if not exists refresh_history_by_credential
    on ${schema}.refresh_history (credential_id, at desc, id desc);

-- Every insert, version change and delete of a credential is announced, at commit, on the channel
-- ${schema}_changes with the credential id as payload; every daemon LISTENs to it.
create or replace function ${schema}.announce_change() returns trigger language plpgsql as $fn$
begin
    if tg_op = 'DELETE' then
        perform pg_notify('${schema}_changes', old.id);
    else
        perform pg_notify('${schema}_changes', new.id);
    end if;
    return null;
end
$fn$;

drop trigger if exists announce_change on ${schema}.credentials;
create trigger announce_change after insert or delete or update of version on ${schema}.credentials
    for each row execute function ${schema}.announce_change();

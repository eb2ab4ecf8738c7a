-- tokenkeeper PostgreSQL store, schema version 4: account secrets, what the daemon keeps beside a
-- credential (a CookieCloud link, sign-in details). The secret is sealed with the master key and
-- each row carries the daemon's authentication tag; the database can read neither.

create table if not exists ${schema}.account_secrets (
    credential_id text   not null,
    kind          text   not null check (kind ~ '^[a-z0-9-]{1,32}$'),
    lookup_hash   text   not null check (lookup_hash ~ '^[0-9a-f]{64}$'),
    sealed_secret bytea  not null,
    created_at    bigint not null,
    mac           text   check (mac is null or length(mac) <= 200),
    primary key (credential_id, kind),
    unique (kind, lookup_hash)
);

-- tokenkeeper: the tables of the Supabase store (TOKENKEEPER_STORE=supabase).
--
-- Run once: Supabase dashboard > SQL Editor > New query, paste all of this, Run.
-- Running it again is harmless: every statement is idempotent.
--
-- Times are epoch milliseconds (bigint), as in the SQLite store. sealed_secret is the Base64 of
-- the bytes the daemon encrypted (AES-256-GCM); the database never sees a token in clear.
-- Only the service_role key can read or write these tables: row-level security is on with no
-- policy, and anon/authenticated have no grants, so the anon key gets "permission denied".

create table if not exists public.tokenkeeper_credentials (
    id                 text   primary key,
    provider           text   not null,
    account            text   not null,
    status             text   not null
        check (status in ('active', 'expired', 'error', 'requires_configuration')),
    version            bigint not null check (version >= 0),
    sealed_secret      text   not null,
    issued_at          bigint not null,
    access_expires_at  bigint,
    refresh_expires_at bigint,
    last_refresh_at    bigint,
    last_error         text,
    updated_at         bigint not null,
    lease_owner        text,
    lease_until        bigint
);

create table if not exists public.tokenkeeper_refresh_history (
    id            bigserial primary key,
    credential_id text   not null,
    at            bigint not null,
    outcome       text   not null,
    detail        text   not null default '',
    duration_ms   bigint not null default 0,
    version       bigint not null
);

create index if not exists tokenkeeper_refresh_history_by_credential
    on public.tokenkeeper_refresh_history (credential_id, at desc, id desc);

alter table public.tokenkeeper_credentials enable row level security;
alter table public.tokenkeeper_refresh_history enable row level security;

-- Supabase grants every new table in "public" to anon and authenticated by default: take that back.
revoke all on table public.tokenkeeper_credentials from anon, authenticated, public;
revoke all on table public.tokenkeeper_refresh_history from anon, authenticated, public;
revoke all on sequence public.tokenkeeper_refresh_history_id_seq from anon, authenticated, public;

grant select, insert, update, delete on table public.tokenkeeper_credentials to service_role;
grant select, insert on table public.tokenkeeper_refresh_history to service_role;
grant usage, select on sequence public.tokenkeeper_refresh_history_id_seq to service_role;

-- Consumers: programs with bearer tokens of their own, scoped to some credentials (space-separated
-- ids). Only the SHA-256 of a consumer's token is stored, never the token.
create table if not exists public.tokenkeeper_consumers (
    name        text   primary key,
    token_hash  text   not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    credentials text   not null,
    created_at  bigint not null
);
-- Each row's authentication tag: an HMAC by the daemon under a key derived from its master key,
-- which the project never holds. A row without a valid tag (one added by hand, say) grants nothing.
alter table public.tokenkeeper_consumers add column if not exists mac text
    check (mac is null or length(mac) <= 200);
alter table public.tokenkeeper_consumers enable row level security;
revoke all on table public.tokenkeeper_consumers from anon, authenticated, public;
grant select, insert, update, delete on table public.tokenkeeper_consumers to service_role;

-- Legacy Gazelle row. Deployments whose Python client reads the Gazelle token from
-- public.system_settings (row key = 'gazelle_oauth_token', column value =
-- {"access_token","refresh_token","expires_in","created_at"}) already have that table; with
-- TOKENKEEPER_SUPABASE_LEGACY_GAZELLE=true the daemon (not this store) upserts that row after
-- every Gazelle refresh, and `tokenkeeper import gazelle --from-supabase-settings` reads it.
-- This script does not touch that table. Only if you want the legacy row and do not have the
-- table yet, remove the leading "-- " of these lines:
-- create table if not exists public.system_settings (
--     key        text primary key,
--     value      jsonb,
--     updated_at timestamptz not null default now()
-- );
-- alter table public.system_settings enable row level security;
-- grant select, insert, update on table public.system_settings to service_role;

-- Make PostgREST see the new tables now rather than at its next schema reload.
notify pgrst, 'reload schema';

-- tokenkeeper PostgreSQL store, schema version 2: consumers (programs with bearer tokens of their
-- own, scoped to some credentials). Only the SHA-256 of a consumer's token is stored, never the token.

create table if not exists ${schema}.consumers (
    name        text   primary key,
    token_hash  text   not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    credentials text[] not null,
    created_at  bigint not null
);

-- An added or revoked consumer is announced on the same channel as credential changes, with the
-- payload '@consumers' (no credential id starts with '@'), so a revocation reaches every daemon at once.
create or replace function ${schema}.announce_consumers() returns trigger language plpgsql as $fn$
begin
    perform pg_notify('${schema}_changes', '@consumers');
    return null;
end
$fn$;

drop trigger if exists announce_consumers on ${schema}.consumers;
create trigger announce_consumers after insert or delete or update on ${schema}.consumers
    for each statement execute function ${schema}.announce_consumers();

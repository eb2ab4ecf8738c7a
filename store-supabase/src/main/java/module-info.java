/**
 * A {@link dev.tokenkeeper.api.TokenStore} that keeps credentials in a Supabase project through its
 * PostgREST HTTP API, so that several daemons on several machines can share one store.
 */
module dev.tokenkeeper.store.supabase {
    requires dev.tokenkeeper.api;
    requires java.net.http;
    requires com.fasterxml.jackson.databind;

    provides dev.tokenkeeper.api.TokenStore with dev.tokenkeeper.store.supabase.SupabaseTokenStore;
}

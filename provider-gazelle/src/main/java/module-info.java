/**
 * The Gazelle provider: keeps a Gazelle OAuth 2 token fresh with the refresh-token grant, imports
 * the token JSON that existing deployments keep in Supabase, and exchanges authorization codes.
 */
module dev.tokenkeeper.provider.gazelle {
    requires dev.tokenkeeper.api;
    requires java.net.http;
    requires org.apache.httpcomponents.core5.httpcore5;
    requires com.fasterxml.jackson.databind;

    provides dev.tokenkeeper.api.TokenProvider with dev.tokenkeeper.provider.gazelle.GazelleProvider;
}

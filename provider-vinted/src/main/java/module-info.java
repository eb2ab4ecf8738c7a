/**
 * The Vinted provider: a Vinted web session (the {@code access_token_web} / {@code refresh_token_web}
 * cookies and their companions), imported from a browser and kept alive by refreshing it.
 */
module dev.tokenkeeper.provider.vinted {
    requires dev.tokenkeeper.api;
    requires java.net.http;
    requires com.fasterxml.jackson.databind;

    provides dev.tokenkeeper.api.TokenProvider with dev.tokenkeeper.provider.vinted.VintedProvider;
}

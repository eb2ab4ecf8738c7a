/**
 * The tokenkeeper plugin SPI. A provider jar implements {@link dev.tokenkeeper.api.TokenProvider},
 * a store jar implements {@link dev.tokenkeeper.api.TokenStore}; both are found with
 * {@link java.util.ServiceLoader}. {@code dev.tokenkeeper.api.http} is the HTTP kit plugins share.
 * This module depends on the JDK only.
 */
module dev.tokenkeeper.api {
    requires transitive java.net.http;

    exports dev.tokenkeeper.api;
    exports dev.tokenkeeper.api.http;
}

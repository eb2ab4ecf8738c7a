/**
 * The tokenkeeper plugin SPI. A provider jar implements {@link dev.tokenkeeper.api.TokenProvider},
 * a store jar implements {@link dev.tokenkeeper.api.TokenStore} (credentials and history) and offers
 * what more it can as capabilities of {@code dev.tokenkeeper.api.store} (leases, a change feed,
 * consumers, legacy settings rows, purging, a setup script, the due queue,
 * counts by status); both are found with
 * {@link java.util.ServiceLoader}. {@code dev.tokenkeeper.api.http} is the HTTP kit plugins share.
 * This module depends on the JDK only. Its version is the SDK's: a new minor number (0.1 to 0.2)
 * means a plugin built against the previous one may no longer link, and must be rebuilt.
 */
module dev.tokenkeeper.api {
    requires transitive java.net.http;

    exports dev.tokenkeeper.api;
    exports dev.tokenkeeper.api.http;
    exports dev.tokenkeeper.api.store;
}

/**
 * The tokenkeeper plugin SPI. A provider jar implements {@link dev.tokenkeeper.api.TokenProvider},
 * a store jar implements {@link dev.tokenkeeper.api.TokenStore}; both are found with
 * {@link java.util.ServiceLoader}. This module depends on the JDK only.
 */
module dev.tokenkeeper.api {
    exports dev.tokenkeeper.api;
}

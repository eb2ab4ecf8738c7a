package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.config.ListenAddress;
import dev.tokenkeeper.daemon.tls.TlsConnector;

import java.util.Optional;

/**
 * Where and how the control API listens.
 *
 * @param listen the address (TCP or a Unix domain socket)
 * @param access the Host check and whether {@code /metrics} is public
 * @param tls    HTTPS with this certificate; empty for plain HTTP
 */
public record ControlApiSettings(ListenAddress listen, AccessPolicy access, Optional<TlsConnector> tls) {
}

package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.config.ListenAddress;
import dev.tokenkeeper.daemon.config.Settings;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Who may ask what, beyond the bearer check. A web page can make a browser send requests to
 * 127.0.0.1 under its own name (DNS rebinding): when the API listens on loopback, a request whose
 * {@code Host} is not a loopback name, the listen address or a configured name is refused. And
 * {@code /metrics} needs the admin token unless it is made public on purpose.
 *
 * @param checkHost     whether the {@code Host} header is checked (listening on loopback)
 * @param allowedHosts  host names accepted, lower case, without port
 * @param metricsPublic whether {@code /metrics} answers without the admin token
 */
public record AccessPolicy(boolean checkHost, Set<String> allowedHosts, boolean metricsPublic) {

    /** Extra names, comma-separated, that may appear in {@code Host} (e.g. a name in /etc/hosts). */
    public static final String ALLOWED_HOSTS = "TOKENKEEPER_ALLOWED_HOSTS";
    /** {@code true} lets Prometheus scrape {@code /metrics} without the admin token. */
    public static final String METRICS_PUBLIC = "TOKENKEEPER_METRICS_PUBLIC";

    /** Copies the set. */
    public AccessPolicy {
        allowedHosts = Set.copyOf(allowedHosts);
    }

    /**
     * @param settings the daemon's settings
     * @param listen   where the API listens
     * @return the policy those settings ask for
     */
    public static AccessPolicy from(Settings settings, ListenAddress listen) {
        Set<String> extra = settings.get(ALLOWED_HOSTS).stream()
                .flatMap(list -> Arrays.stream(list.split(",")))
                .map(name -> name.strip().toLowerCase(Locale.ROOT))
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toSet());
        return of(listen, extra, settings.bool(METRICS_PUBLIC, METRICS_PUBLIC, false));
    }

    /**
     * @param listen        where the API listens
     * @param extraHosts    configured names
     * @param metricsPublic whether {@code /metrics} is public
     * @return the policy
     */
    public static AccessPolicy of(ListenAddress listen, Set<String> extraHosts, boolean metricsPublic) {
        Set<String> hosts = Stream.concat(Stream.of("localhost", "127.0.0.1", "[::1]", "::1",
                        listen.host().toLowerCase(Locale.ROOT)), extraHosts.stream())
                .collect(Collectors.toSet());
        return new AccessPolicy(listen.isLoopback(), hosts, metricsPublic);
    }

    /**
     * @param hostHeader the request's {@code Host}, if any
     * @return empty when the request may proceed, else why not
     */
    public Optional<String> refuseHost(String hostHeader) {
        if (!checkHost || hostHeader == null || hostHeader.isEmpty()) {
            return Optional.empty();
        }
        String host = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            host = close < 0 ? host : host.substring(0, close + 1);
        } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            host = host.substring(0, host.indexOf(':'));
        }
        return allowedHosts.contains(host) ? Optional.empty()
                : Optional.of("the Host header names a host this daemon does not answer for (a DNS-rebinding page"
                + " looks like this): use http://127.0.0.1:<port>, or add the name to " + ALLOWED_HOSTS);
    }
}

package dev.tokenkeeper.api;

import java.net.URI;
import java.util.Objects;

/**
 * An upstream address a provider talks to, for {@code tokenkeeper doctor}, which checks that it
 * can be reached (a TCP connect, nothing sent). Never carries a secret: the URI must not hold
 * credentials or tokens in its user-info or query.
 *
 * @param setting the setting the address comes from, e.g. {@code GAZELLE_OAUTH_TOKEN_URL}, so that
 *                doctor can say what to fix
 * @param uri     the absolute http(s) address
 */
public record UpstreamEndpoint(String setting, URI uri) {

    /**
     * @throws NullPointerException when a part is missing
     */
    public UpstreamEndpoint {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(uri, "uri");
    }
}

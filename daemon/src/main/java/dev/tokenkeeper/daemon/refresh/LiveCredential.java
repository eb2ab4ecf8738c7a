package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Duration;
import java.time.Instant;

/**
 * A credential as last committed, with its secret opened and its presentation ready, so that a
 * token read does no store or decryption work. Never logged: {@link #toString()} hides the secret.
 *
 * @param stored       the committed row
 * @param secret       the opened secret material
 * @param presentation how a consumer uses it
 */
public record LiveCredential(StoredCredential stored, SecretMaterial secret, Presentation presentation) {

    /**
     * @param now         the current time
     * @param minValidity how long the token must still be good
     * @return true when the access token is known to last at least that long (capped at half its
     *         lifetime), or has no known expiry
     */
    public boolean validFor(Instant now, Duration minValidity) {
        return Validity.enough(stored, now, minValidity);
    }

    /**
     * @param row a row read from the store
     * @return true when this is that row's secret: same version and same sealed bytes (a version alone
     *         could be reused after an outage, when another daemon's numbering wins)
     */
    public boolean matches(StoredCredential row) {
        return stored.version() == row.version() && stored.secret().equals(row.secret());
    }

    /** @return the id and version only */
    @Override
    public String toString() {
        return "LiveCredential[" + stored.id() + " v" + stored.version() + ", secret hidden]";
    }
}

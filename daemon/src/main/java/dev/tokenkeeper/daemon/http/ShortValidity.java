package dev.tokenkeeper.daemon.http;

import java.time.Duration;
import java.time.Instant;

/**
 * Says so when a token handed out lasts less than the consumer asked for: the upstream issues
 * tokens shorter than {@code minValidity} (the daemon refreshes at most once for such a request,
 * see {@code Validity}), so a consumer never gets less than it asked for without being told.
 */
final class ShortValidity {

    private ShortValidity() {
    }

    static Views.TokenView view(Views.TokenView plain, Duration minValidity, Instant now) {
        if (plain.expiresAt() == null) {
            return plain;
        }
        long left = Math.max(0, Duration.between(now, plain.expiresAt()).getSeconds());
        long shortBy = minValidity.getSeconds() - left;
        if (shortBy <= 0) {
            return plain;
        }
        String warning = plain.id() + ": the token is valid for " + left + " s, " + shortBy + " s less than the "
                + minValidity.getSeconds() + " s asked: the upstream issues shorter tokens; ask for less"
                + " (--min-validity / minValidity) or ask again before it expires";
        return new Views.TokenView(plain.id(), plain.token(), plain.headers(), plain.expiresAt(), plain.version(),
                left, shortBy, warning);
    }
}

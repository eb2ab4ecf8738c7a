package dev.tokenkeeper.provider.gazelle.oauth;

import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.gazelle.json.Json;
import dev.tokenkeeper.provider.gazelle.secret.GazelleSecret;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a successful token-endpoint answer
 * {@code {access_token, refresh_token?, expires_in, token_type, created_at?, refresh_token_expires_in?}}.
 *
 * <p>Once the upstream has answered 200 with an access token it may already have spent the old
 * refresh token, so everything but the access token is read leniently: an unreadable field is
 * treated as absent rather than failing the refresh and losing the new tokens.
 */
public final class TokenResponse {

    /**
     * A {@code created_at} further than this from the time the answer arrived is not believed (a
     * broken server clock or milliseconds) and the arrival time is used: an expiry in the past
     * would make the daemon refresh again at once.
     */
    private static final Duration BELIEVABLE_CLOCK_SKEW = Duration.ofHours(1);

    /** A hundred years: a longer lifetime is nonsense and is treated as unknown. */
    private static final double LONGEST_LIFETIME_SECONDS = 100 * 365.25 * 24 * 3600;

    private static final String CREATED_AT = "created_at";
    private static final String EXPIRES_IN = "expires_in";
    private static final String REFRESH_EXPIRES_IN = "refresh_token_expires_in";
    private static final Set<String> FIELDS = Set.of(GazelleSecret.ACCESS_TOKEN, GazelleSecret.REFRESH_TOKEN,
            GazelleSecret.TOKEN_TYPE, CREATED_AT, EXPIRES_IN, REFRESH_EXPIRES_IN);

    private TokenResponse() {
    }

    /**
     * @param body       the body of a 2xx answer
     * @param previous   the secret material before the refresh (empty for a code exchange)
     * @param receivedAt when the answer arrived
     * @return the new secret: the previous refresh token and token type are kept when the answer
     *         has none; empty when the body is not a JSON object with a non-blank access token
     */
    public static Optional<IssuedSecret> parse(byte[] body, SecretMaterial previous, Instant receivedAt) {
        return Json.fields(body, FIELDS).flatMap(object -> read(object, previous, receivedAt));
    }

    private static Optional<IssuedSecret> read(Map<String, Object> object, SecretMaterial previous, Instant receivedAt) {
        Optional<String> accessToken = Json.fieldText(object.get(GazelleSecret.ACCESS_TOKEN));
        if (accessToken.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> changed = new HashMap<>(4);
        changed.put(GazelleSecret.ACCESS_TOKEN, accessToken.get());
        Json.fieldText(object.get(GazelleSecret.REFRESH_TOKEN)).ifPresent(token -> changed.put(GazelleSecret.REFRESH_TOKEN, token));
        String tokenType = Json.fieldText(object.get(GazelleSecret.TOKEN_TYPE))
                .orElse(previous.field(GazelleSecret.TOKEN_TYPE).orElse(GazelleSecret.DEFAULT_TOKEN_TYPE));
        changed.put(GazelleSecret.TOKEN_TYPE, GazelleSecret.normalizeTokenType(tokenType));
        SecretMaterial secret = previous.with(changed);

        Instant issuedAt = Json.fieldNumber(object.get(CREATED_AT))
                .filter(seconds -> seconds > 0)
                .map(seconds -> Instant.ofEpochMilli(Math.round(seconds * 1000)))
                .filter(createdAt -> Duration.between(createdAt, receivedAt).abs().compareTo(BELIEVABLE_CLOCK_SKEW) <= 0)
                .orElse(receivedAt);
        return Optional.of(new IssuedSecret(secret, issuedAt,
                seconds(object, EXPIRES_IN).map(issuedAt::plus),
                seconds(object, REFRESH_EXPIRES_IN).map(issuedAt::plus)));
    }

    private static Optional<Duration> seconds(Map<String, Object> object, String name) {
        return Json.fieldNumber(object.get(name))
                .filter(seconds -> seconds >= 0 && seconds <= LONGEST_LIFETIME_SECONDS)
                .map(seconds -> Duration.ofMillis(Math.round(seconds * 1000)));
    }
}

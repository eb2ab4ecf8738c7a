package dev.tokenkeeper.provider.gazelle.secret;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.provider.gazelle.http.SafeText;
import dev.tokenkeeper.provider.gazelle.json.Json;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reads the token JSON that existing deployments keep in Supabase: either the object
 * {@code {"access_token","refresh_token","expires_in","created_at"}} ({@code created_at} in epoch
 * seconds) or the whole {@code system_settings} row {@code {"key":"gazelle_oauth_token","value":...}}
 * whose value is that object or a JSON string holding it.
 *
 * <p>Every rejection is one line naming what is wrong; no value from the input is ever quoted.
 */
public final class TokenJsonImport {

    /** The {@code system_settings} key under which existing deployments keep the token. */
    public static final String SETTINGS_KEY = "gazelle_oauth_token";

    private static final String EXPECTED = "expected {\"access_token\":...,\"refresh_token\":...,"
            + "\"expires_in\":...,\"created_at\":...} or the system_settings row " + SETTINGS_KEY;
    /** Epoch seconds beyond this (year 5138) are certainly milliseconds. */
    private static final double LARGEST_EPOCH_SECONDS = 1e11;

    private static final double LONGEST_LIFETIME_SECONDS = 100 * 365.25 * 24 * 3600;

    private TokenJsonImport() {
    }

    /**
     * @param json the JSON text a user handed over
     * @param now  the current time, used when {@code created_at} is missing
     * @return the secret with its lifetimes and warnings
     * @throws InvalidSecretException naming what is wrong with the JSON
     */
    public static ImportedSecret read(String json, Instant now) throws InvalidSecretException {
        List<String> warnings = new ArrayList<>();
        ObjectNode token = unwrap(parse(json, "the token JSON"), warnings);

        String accessToken = requiredText(token, GazelleSecret.ACCESS_TOKEN, "; " + EXPECTED);
        if (token.hasNonNull(GazelleSecret.REFRESH_TOKEN) && optionalText(token, GazelleSecret.REFRESH_TOKEN).isEmpty()) {
            throw new InvalidSecretException(GazelleSecret.REFRESH_TOKEN + " in the token JSON is blank: leave it out to "
                    + "import the access token alone (served until it expires), or import the complete token JSON");
        }
        Optional<String> refreshToken = optionalText(token, GazelleSecret.REFRESH_TOKEN);
        String tokenType = optionalText(token, GazelleSecret.TOKEN_TYPE).orElse(GazelleSecret.DEFAULT_TOKEN_TYPE);
        Optional<Duration> expiresIn = seconds(token, "expires_in");
        Optional<Duration> refreshExpiresIn = seconds(token, "refresh_token_expires_in");
        Optional<Instant> createdAt = createdAt(token);

        Instant issuedAt = createdAt.orElse(now);
        if (refreshToken.isEmpty()) {
            return AccessTokenImport.withoutRefresh(accessToken, tokenType, issuedAt,
                    expiresIn.map(issuedAt::plus), now, warnings);
        }
        Optional<Instant> accessExpiresAt = expiresIn.map(issuedAt::plus);
        if (createdAt.isEmpty() && expiresIn.isPresent()) {
            warnings.add("created_at is missing: assumed the token was issued now, so it may expire earlier "
                    + "than tokenkeeper thinks; it is validated at every sweep");
        }
        if (expiresIn.isEmpty()) {
            warnings.add("expires_in is missing: the access token's expiry is unknown; tokenkeeper refreshes it "
                    + "at least daily");
        }
        accessExpiresAt.filter(expiry -> !expiry.isAfter(now)).ifPresent(expiry -> warnings.add(
                "the access token expired at " + expiry + "; tokenkeeper refreshes it right away"));

        IssuedSecret issued = new IssuedSecret(GazelleSecret.material(accessToken, refreshToken.get(), tokenType),
                issuedAt, accessExpiresAt, refreshExpiresIn.map(issuedAt::plus));
        return new ImportedSecret(issued, warnings);
    }

    private static JsonNode parse(String text, String what) throws InvalidSecretException {
        if (text.isBlank()) {
            throw new InvalidSecretException(what + " is empty; " + EXPECTED);
        }
        try {
            return Json.read(text);
        } catch (JsonProcessingException e) {
            throw new InvalidSecretException(what + " is not valid JSON (" + Json.describe(e) + "); " + EXPECTED);
        }
    }

    /** Returns the token object, taking it out of a {@code system_settings} row if it is one. */
    private static ObjectNode unwrap(JsonNode root, List<String> warnings) throws InvalidSecretException {
        if (!(root instanceof ObjectNode object)) {
            throw new InvalidSecretException("the token JSON is " + Json.kind(root) + ", not an object; " + EXPECTED);
        }
        if (object.has(GazelleSecret.ACCESS_TOKEN) || !object.has("value")) {
            return object;
        }
        JsonNode key = object.get("key");
        if (key != null && !key.isNull()) {
            if (!key.isTextual()) {
                throw new InvalidSecretException("the key of the system_settings row is " + Json.kind(key)
                        + ", not a string; " + EXPECTED);
            }
            if (!key.asText().equals(SETTINGS_KEY)) {
                warnings.add("the system_settings row has key '" + SafeText.oneLine(key.asText(), 64)
                        + "', not " + SETTINGS_KEY + "; imported its value anyway");
            }
        }
        JsonNode value = object.get("value");
        if (value instanceof ObjectNode token) {
            return token;
        }
        if (value.isTextual()) {
            JsonNode inner = parse(value.asText(), "the value of the system_settings row");
            if (inner instanceof ObjectNode token) {
                return token;
            }
            throw new InvalidSecretException("the value of the system_settings row holds " + Json.kind(inner)
                    + ", not an object; " + EXPECTED);
        }
        throw new InvalidSecretException("the value of the system_settings row is " + Json.kind(value)
                + "; expected the token object or a JSON string holding it");
    }

    /**
     * A string property that must be there.
     *
     * @param consequence what follows the problem in the message, e.g. {@code "; expected ..."}
     */
    private static String requiredText(ObjectNode token, String name, String consequence)
            throws InvalidSecretException {
        Optional<String> value = optionalText(token, name);
        if (value.isPresent()) {
            return value.get();
        }
        throw new InvalidSecretException(token.hasNonNull(name)
                ? name + " in the token JSON is blank" + consequence
                : "the token JSON has no " + name + consequence);
    }

    /** A string property; missing or null is empty, another type is an error. */
    private static Optional<String> optionalText(ObjectNode token, String name) throws InvalidSecretException {
        return property(token, name, JsonNode::isTextual, "a string")
                .map(node -> node.asText().strip()).filter(text -> !text.isEmpty());
    }

    /** A non-negative number of seconds; missing or null is empty, another type is an error. */
    private static Optional<Duration> seconds(ObjectNode token, String name) throws InvalidSecretException {
        Optional<Double> value = number(token, name);
        if (value.isPresent() && value.get() < 0) {
            throw new InvalidSecretException(name + " in the token JSON is negative; expected a number of seconds");
        }
        if (value.isPresent() && value.get() > LONGEST_LIFETIME_SECONDS) {
            throw new InvalidSecretException(name + " in the token JSON is more than a hundred years; "
                    + "expected a number of seconds");
        }
        return value.map(seconds -> Duration.ofMillis(Math.round(seconds * 1000)));
    }

    private static Optional<Instant> createdAt(ObjectNode token) throws InvalidSecretException {
        Optional<Double> value = number(token, "created_at");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        double seconds = value.get();
        if (seconds < 0) {
            throw new InvalidSecretException("created_at in the token JSON is negative; expected epoch seconds");
        }
        if (seconds > LARGEST_EPOCH_SECONDS) {
            throw new InvalidSecretException("created_at in the token JSON looks like milliseconds; "
                    + "expected epoch seconds (divide it by 1000)");
        }
        return Optional.of(Instant.ofEpochMilli(Math.round(seconds * 1000)));
    }

    private static Optional<Double> number(ObjectNode token, String name) throws InvalidSecretException {
        return property(token, name, JsonNode::isNumber, "a number").map(JsonNode::asDouble);
    }

    /** A property of the given type; missing or null is empty, another type is an error. */
    private static Optional<JsonNode> property(ObjectNode token, String name, Predicate<JsonNode> typed, String type)
            throws InvalidSecretException {
        JsonNode node = token.get(name);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!typed.test(node)) {
            throw new InvalidSecretException(name + " in the token JSON must be " + type + ", found " + Json.kind(node));
        }
        return Optional.of(node);
    }
}

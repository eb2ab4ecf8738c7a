package dev.tokenkeeper.provider.vinted.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The claims of a Vinted JWT ({@code access_token_web} or {@code refresh_token_web}) that the
 * provider uses. Read without checking the signature: the daemon has no key, so these claims serve
 * scheduling and warnings, never trust decisions.
 *
 * @param expiresAt {@code exp}
 * @param issuedAt  {@code iat}
 * @param purpose   {@code purpose}: {@code access} or {@code refresh}
 * @param scope     {@code scope}: {@code user} when logged in, {@code public} when anonymous
 * @param sessionId {@code sid}
 */
public record TokenClaims(Optional<Instant> expiresAt,
                          Optional<Instant> issuedAt,
                          Optional<String> purpose,
                          Optional<String> scope,
                          Optional<String> sessionId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Decodes the payload of a JWT.
     *
     * @param jwt the token
     * @return the claims, or empty when the text is not three base64url parts with a JSON object
     *         header and payload
     */
    public static Optional<TokenClaims> decode(String jwt) {
        String[] parts = jwt.trim().split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            return Optional.empty();
        }
        Optional<JsonNode> header = jsonObject(parts[0]);
        Optional<JsonNode> payload = jsonObject(parts[1]);
        if (header.isEmpty() || payload.isEmpty()) {
            return Optional.empty();
        }
        JsonNode claims = payload.get();
        return Optional.of(new TokenClaims(
                epochSeconds(claims.get("exp")),
                epochSeconds(claims.get("iat")),
                text(claims.get("purpose")),
                text(claims.get("scope")),
                text(claims.get("sid"))));
    }

    /** @return true when the token belongs to an anonymous session */
    public boolean anonymous() {
        return scope.filter("public"::equals).isPresent();
    }

    /** @return the expiry only; the session id stays hidden */
    @Override
    public String toString() {
        return "TokenClaims[purpose=" + purpose.orElse("?") + ", scope=" + scope.orElse("?")
                + ", exp=" + expiresAt.map(Instant::toString).orElse("?") + "]";
    }

    private static Optional<JsonNode> jsonObject(String base64url) {
        try {
            JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(base64url));
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> epochSeconds(JsonNode node) {
        if (node == null || !node.canConvertToLong()) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochSecond(node.asLong()));
    }

    private static Optional<String> text(JsonNode node) {
        return node != null && node.isTextual() ? Optional.of(node.asText()) : Optional.empty();
    }
}

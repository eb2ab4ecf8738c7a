package dev.tokenkeeper.provider.gazelle.oauth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.http.CappedBody;
import dev.tokenkeeper.api.http.UpstreamText;
import dev.tokenkeeper.provider.gazelle.json.Json;

import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An OAuth 2 error answer (RFC 6749 section 5.2): {@code {"error": code, "error_description": text}}.
 *
 * @param code        the error code, e.g. {@code invalid_grant}
 * @param description the human-readable description, if any (may echo the request: see
 *                    {@link #safeDescription})
 */
public record OAuthError(String code, Optional<String> description) {

    /** RFC 6749 codes are printable ASCII without quotes or backslashes; anything else is not quoted. */
    private static final Pattern CODE = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    private static final int SHORT = 200;

    /** Rejects nulls. */
    public OAuthError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(description, "description");
    }

    /**
     * @param body an error response body
     * @return the error, if the body is a JSON object with a string {@code error}; a code that does
     *         not look like an OAuth code is replaced by {@code unrecognized}
     */
    public static Optional<OAuthError> parse(CappedBody body) {
        return Json.object(body.bytes()).flatMap(OAuthError::of);
    }

    private static Optional<OAuthError> of(ObjectNode object) {
        return Json.text(object.get("error")).map(code -> new OAuthError(
                CODE.matcher(code).matches() ? code : "unrecognized",
                Json.text(object.get("error_description"))));
    }

    /**
     * The description as a bounded summary that is safe to repeat: a server may echo the refresh
     * token or the client secret back, whole or in part, so token-like runs and every fragment of
     * 8+ characters of a sent secret are removed.
     *
     * @param sentSecrets the secret values of the request
     * @return the summary, or empty when nothing is left
     */
    public Optional<String> safeDescription(Collection<String> sentSecrets) {
        return description
                .map(text -> UpstreamText.summary(text, sentSecrets, SHORT))
                .filter(text -> !text.isEmpty());
    }

    /**
     * @param sentSecrets the secret values of the request
     * @return {@code code} or {@code code: description} when the description is safe
     */
    public String describe(Collection<String> sentSecrets) {
        return code + safeDescription(sentSecrets).map(text -> ": " + text).orElse("");
    }

    /** @return the code only; the description may echo input */
    @Override
    public String toString() {
        return "OAuthError[" + code + "]";
    }
}

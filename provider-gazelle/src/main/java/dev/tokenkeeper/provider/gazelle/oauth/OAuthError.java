package dev.tokenkeeper.provider.gazelle.oauth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.provider.gazelle.http.CappedBody;
import dev.tokenkeeper.provider.gazelle.http.SafeText;
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
     * The description, only when it is safe to repeat: short, and containing none of the secrets
     * that were sent (a server may echo the refresh token or the client secret back).
     *
     * @param sentSecrets the secret values of the request
     * @return the description made one line, or empty
     */
    public Optional<String> safeDescription(Collection<String> sentSecrets) {
        return description
                .map(String::strip)
                .filter(text -> !text.isEmpty() && text.length() <= SHORT)
                .filter(text -> sentSecrets.stream().filter(s -> !s.isEmpty()).noneMatch(text::contains))
                .map(text -> SafeText.oneLine(text, SHORT));
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

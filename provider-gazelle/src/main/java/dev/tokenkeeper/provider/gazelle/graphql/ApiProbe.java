package dev.tokenkeeper.provider.gazelle.graphql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.provider.gazelle.config.GazelleSettings;
import dev.tokenkeeper.provider.gazelle.http.FailedAnswer;
import dev.tokenkeeper.provider.gazelle.http.UpstreamClient;
import dev.tokenkeeper.provider.gazelle.http.UpstreamResponse;
import dev.tokenkeeper.provider.gazelle.http.UpstreamUnreachableException;
import dev.tokenkeeper.provider.gazelle.json.Json;
import dev.tokenkeeper.provider.gazelle.secret.GazelleSecret;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Checks an access token with the cheapest GraphQL query there is, {@code { __typename }}.
 *
 * <p>GraphQL reports most errors with HTTP 200 and an {@code errors} array; such an answer still
 * means the token was accepted, unless an error says the caller is not authenticated.
 *
 * @param settings the API URL
 * @param http     the provider's HTTP client
 * @param clock    the clock that turns a {@code Retry-After} date into a wait
 */
public record ApiProbe(GazelleSettings settings, UpstreamClient http, Clock clock) {

    private static final String QUERY = "{\"query\":\"{ __typename }\"}";
    private static final List<String> UNAUTHENTICATED_CODES =
            List.of("unauthenticated", "unauthorized", "invalid_token", "token_expired", "authentication_error");
    private static final List<String> UNAUTHENTICATED_WORDS = List.of("unauthenticated", "not authenticated",
            "unauthorized", "invalid token", "invalid access token", "token expired", "token has expired",
            "expired token");

    /**
     * @param secret the current secret material
     * @return accepted (HTTP 200), rejected (HTTP 401, or an unauthenticated GraphQL error) or
     *         inconclusive (network, 403, 429, 5xx, an answer that is not GraphQL)
     */
    public ValidationResult validate(SecretMaterial secret) {
        if (GazelleSecret.present(secret, GazelleSecret.ACCESS_TOKEN).isEmpty()) {
            return new ValidationResult.Rejected("the stored Gazelle secret has no access_token");
        }
        UpstreamResponse response;
        try {
            response = http.post(settings.apiUrl(), "application/json",
                    Map.of("Accept", "application/json", "Authorization", GazelleSecret.authorization(secret)), QUERY);
        } catch (UpstreamUnreachableException e) {
            return new ValidationResult.Inconclusive(FailureKind.NETWORK, "Gazelle API: " + e.getMessage(),
                    Optional.empty());
        }
        int status = response.status();
        String what = "Gazelle API answered HTTP " + status;
        if (status == 200) {
            Optional<ObjectNode> body = Json.object(response.body().bytes());
            if (body.isEmpty()) {
                return new ValidationResult.Inconclusive(FailureKind.BAD_RESPONSE, what
                        + " with a body that is not GraphQL JSON; check " + GazelleSettings.API_URL, Optional.empty());
            }
            if (unauthenticated(body.get().get("errors"))) {
                return new ValidationResult.Rejected(what + " with an unauthenticated GraphQL error: "
                        + "the access token is expired or revoked");
            }
            return new ValidationResult.Accepted();
        }
        if (status == 401) {
            return new ValidationResult.Rejected(what + ": the access token is expired or revoked");
        }
        FailedAnswer failed = FailedAnswer.of("Gazelle API", response, GazelleSettings.API_URL, clock.instant());
        return new ValidationResult.Inconclusive(failed.kind(), failed.reason(), failed.retryAfter());
    }

    private static boolean unauthenticated(JsonNode errors) {
        if (errors == null || !errors.isArray()) {
            return false;
        }
        for (JsonNode error : errors) {
            String code = Json.text(error.path("extensions").get("code")).orElse("").toLowerCase(Locale.ROOT);
            String message = Json.text(error.get("message")).orElse("").toLowerCase(Locale.ROOT);
            if (UNAUTHENTICATED_CODES.contains(code) || UNAUTHENTICATED_WORDS.stream().anyMatch(message::contains)) {
                return true;
            }
        }
        return false;
    }
}

package dev.tokenkeeper.provider.gazelle.oauth;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.RefreshResult.PermanentFailure;
import dev.tokenkeeper.api.RefreshResult.TransientFailure;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.gazelle.config.GazelleSettings;
import dev.tokenkeeper.provider.gazelle.http.FailedAnswer;
import dev.tokenkeeper.provider.gazelle.http.UpstreamClient;
import dev.tokenkeeper.provider.gazelle.http.UpstreamResponse;
import dev.tokenkeeper.provider.gazelle.http.UpstreamUnreachableException;
import dev.tokenkeeper.provider.gazelle.secret.GazelleSecret;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Talks to Gazelle's OAuth token endpoint (Doorkeeper): the refresh-token grant and the
 * authorization-code grant, both with form-encoded bodies.
 *
 * @param settings the endpoint URL and client credentials
 * @param http     the provider's HTTP client
 * @param clock    the clock that stamps answers
 */
public record TokenEndpoint(GazelleSettings settings, UpstreamClient http, Clock clock) {

    /** The reason given when Gazelle rejects the refresh token. */
    public static final String INVALID_GRANT_REASON = "refresh token rejected (invalid_grant): authorize again with "
            + "`tokenkeeper authorize gazelle` or import a new token";

    private static final String FORM = "application/x-www-form-urlencoded";
    private static final Map<String, String> ACCEPT_JSON = Map.of("Accept", "application/json");
    private static final String CLIENT_SETTINGS = GazelleSettings.CLIENT_ID + " and " + GazelleSettings.CLIENT_SECRET;

    /**
     * Spends the current refresh token for new tokens.
     *
     * @param current the current secret material
     * @return the new material (the old refresh token kept when none came back), a transient
     *         failure (network, 403, 429, 5xx, unreadable answer) or a permanent one (400/401)
     */
    public RefreshResult refresh(SecretMaterial current) {
        Optional<String> refreshToken = GazelleSecret.present(current, GazelleSecret.REFRESH_TOKEN);
        if (refreshToken.isEmpty()) {
            return new PermanentFailure("the stored Gazelle secret has no refresh_token: authorize again with "
                    + "`tokenkeeper authorize gazelle` or import a new token");
        }
        if (settings.clientId().isEmpty()) {
            return new PermanentFailure(GazelleSettings.CLIENT_ID + " is not set: set " + CLIENT_SETTINGS
                    + " to the Gazelle OAuth application's credentials and restart tokenkeeper");
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken.get());
        addClient(form);

        UpstreamResponse response;
        try {
            response = http.post(settings.tokenUrl(), FORM, ACCEPT_JSON, encode(form));
        } catch (UpstreamUnreachableException e) {
            return TransientFailure.of(FailureKind.NETWORK, "Gazelle token endpoint: " + e.getMessage());
        }
        int status = response.status();
        if (status >= 200 && status < 300) {
            return TokenResponse.parse(response.body().bytes(), current, clock.instant())
                    .<RefreshResult>map(RefreshResult.Refreshed::new)
                    .orElseGet(() -> TransientFailure.of(FailureKind.BAD_RESPONSE, "Gazelle token endpoint answered HTTP "
                            + status + " without a readable access_token" + (response.body().truncated()
                            ? " (the body was larger than 1 MiB)" : "")));
        }
        if (status == 400 || status == 401) {
            return rejected(response, sentSecrets(form));
        }
        FailedAnswer failed = FailedAnswer.of("Gazelle token endpoint", response, GazelleSettings.TOKEN_URL,
                clock.instant());
        // None of these answers spent the refresh token; after an anti-bot block the operator is told so.
        return new TransientFailure(failed.kind(), failed.kind() == FailureKind.BLOCKED
                ? failed.reason() + "; the refresh token was not spent" : failed.reason(), failed.retryAfter());
    }

    private PermanentFailure rejected(UpstreamResponse response, List<String> sent) {
        Optional<OAuthError> error = OAuthError.parse(response.body());
        String code = error.map(OAuthError::code).orElse("");
        if (code.equals("invalid_grant")) {
            return new PermanentFailure(INVALID_GRANT_REASON);
        }
        if (code.equals("invalid_client") || code.equals("unauthorized_client")) {
            return new PermanentFailure("Gazelle rejected the OAuth client (" + code + "): check " + CLIENT_SETTINGS
                    + ", then refresh again");
        }
        return new PermanentFailure("Gazelle refused the refresh (HTTP " + response.status() + ", "
                + error.map(e -> e.describe(sent)).orElse("no OAuth error code") + "): check the Gazelle settings, "
                + "or authorize again with `tokenkeeper authorize gazelle`");
    }

    /**
     * Exchanges an authorization code for the first tokens of a chain.
     *
     * @param code        the code from the redirect
     * @param redirectUri the redirect URI the code was issued for
     * @param codeVerifier the PKCE verifier, when the authorization URL carried its challenge
     * @return the new secret
     * @throws InvalidSecretException when the client is not configured, Gazelle cannot be reached,
     *                                refuses the code, or issues no refresh token
     */
    public ImportedSecret exchangeCode(String code, URI redirectUri) throws InvalidSecretException {
        return exchangeCode(code, redirectUri, Optional.empty());
    }

    /**
     * Exchanges an authorization code obtained with PKCE.
     *
     * @param code         the code from the redirect
     * @param redirectUri  the redirect URI the code was issued for
     * @param codeVerifier the PKCE verifier, sent as {@code code_verifier} when present
     * @return the new secret
     * @throws InvalidSecretException as {@link #exchangeCode(String, URI)}
     */
    public ImportedSecret exchangeCode(String code, URI redirectUri, Optional<String> codeVerifier)
            throws InvalidSecretException {
        if (code.isBlank()) {
            throw new InvalidSecretException("the authorization code is blank; run `tokenkeeper authorize gazelle` again");
        }
        if (settings.clientId().isEmpty() || settings.clientSecret().isEmpty()) {
            throw new InvalidSecretException(CLIENT_SETTINGS + " must both be set to exchange an authorization code; "
                    + "set them to the Gazelle OAuth application's credentials and restart tokenkeeper");
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code.strip());
        form.put("redirect_uri", redirectUri.toString());
        codeVerifier.ifPresent(verifier -> form.put("code_verifier", verifier));
        addClient(form);

        UpstreamResponse response;
        try {
            response = http.post(settings.tokenUrl(), FORM, ACCEPT_JSON, encode(form));
        } catch (UpstreamUnreachableException e) {
            throw new InvalidSecretException("could not exchange the authorization code: " + e.getMessage()
                    + "; run `tokenkeeper authorize gazelle` again");
        }
        int status = response.status();
        if (status >= 200 && status < 300) {
            IssuedSecret issued = TokenResponse.parse(response.body().bytes(), new SecretMaterial(Map.of()), clock.instant())
                    .orElseThrow(() -> new InvalidSecretException("Gazelle answered the code exchange with HTTP "
                            + status + " but no readable access_token; run `tokenkeeper authorize gazelle` again"));
            if (GazelleSecret.present(issued.secret(), GazelleSecret.REFRESH_TOKEN).isEmpty()) {
                throw new InvalidSecretException("Gazelle issued no refresh_token for this authorization: without a "
                        + "refresh_token tokenkeeper cannot keep it fresh; check the OAuth application's settings");
            }
            return ImportedSecret.of(issued);
        }
        Optional<OAuthError> error = status == 400 || status == 401 ? OAuthError.parse(response.body()) : Optional.empty();
        String errorCode = error.map(OAuthError::code).orElse("");
        if (errorCode.equals("invalid_grant")) {
            throw new InvalidSecretException("the authorization code was rejected (invalid_grant): codes are single-use, "
                    + "expire within minutes and must come back to the same redirect URI; "
                    + "run `tokenkeeper authorize gazelle` again");
        }
        if (errorCode.equals("invalid_client") || errorCode.equals("unauthorized_client")) {
            throw new InvalidSecretException("Gazelle rejected the OAuth client (" + errorCode + "): check "
                    + CLIENT_SETTINGS);
        }
        throw new InvalidSecretException("Gazelle refused the code exchange (HTTP " + status
                + error.map(e -> ", " + e.describe(sentSecrets(form))).orElse("")
                + "): run `tokenkeeper authorize gazelle` again" + (status == 403 || status == 429 || status >= 500
                ? " later" : ""));
    }

    private void addClient(Map<String, String> form) {
        settings.clientId().ifPresent(id -> form.put("client_id", id));
        settings.clientSecret().ifPresent(secret -> form.put("client_secret", secret));
    }

    /** The values an error description must not repeat. */
    private static List<String> sentSecrets(Map<String, String> form) {
        List<String> secrets = new ArrayList<>();
        for (String name : List.of("refresh_token", "code", "client_secret", "code_verifier")) {
            Optional.ofNullable(form.get(name)).ifPresent(secrets::add);
        }
        return secrets;
    }

    private static String encode(Map<String, String> form) {
        StringBuilder body = new StringBuilder(256);
        for (Map.Entry<String, String> field : form.entrySet()) {
            if (body.length() > 0) {
                body.append('&');
            }
            body.append(URLEncoder.encode(field.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(field.getValue(), StandardCharsets.UTF_8));
        }
        return body.toString();
    }
}

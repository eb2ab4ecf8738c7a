package com.example.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.UpstreamEndpoint;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.api.http.CappedBody;
import dev.tokenkeeper.api.http.ClientOnFirstUse;
import dev.tokenkeeper.api.http.PlainHttp;
import dev.tokenkeeper.api.http.RetryAfter;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The "demo" upstream: {@code POST DEMO_TOKEN_URL {"refresh_token": ...}} answers
 * {@code {"access_token", "refresh_token", "expires_in"}} and spends the refresh token;
 * {@code GET DEMO_API_URL} with {@code Authorization: Bearer} answers 200 or 401.
 * Imports take {@code --token-json '{"access_token": ..., "refresh_token": ..., "expires_in": ...}'}.
 * Its HTTP goes through the api's kit ({@code dev.tokenkeeper.api.http}): answers read under one
 * deadline with a size cap ({@link CappedBody}), {@code Retry-After} read by the daemon's one rule
 * ({@link RetryAfter}), {@code http://} allowed to this machine only ({@link PlainHttp}), and the
 * client built at the first call, not when the daemon loads the plugin ({@link ClientOnFirstUse}).
 */
public final class DemoProvider implements TokenProvider {

    /** Setting: the token endpoint. */
    public static final String TOKEN_URL = "DEMO_TOKEN_URL";
    /** Setting: an API endpoint that checks an access token. */
    public static final String API_URL = "DEMO_API_URL";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** A token answer is a few hundred bytes; anything past this is not read. */
    private static final int BODY_LIMIT = 64 * 1024;

    private final ClientOnFirstUse http = new ClientOnFirstUse(HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .version(HttpClient.Version.HTTP_1_1));
    private volatile URI tokenUrl = URI.create("https://demo.example.com/oauth/token");
    private volatile URI apiUrl = URI.create("https://demo.example.com/api/me");
    private volatile Clock clock = Clock.systemUTC();

    @Override
    public String id() {
        return "demo";
    }

    @Override
    public String description() {
        return "Demo upstream (example provider; import with --token-json)";
    }

    @Override
    public void configure(PluginContext context) {
        tokenUrl = url(context, TOKEN_URL, tokenUrl);
        apiUrl = url(context, API_URL, apiUrl);
        clock = context.clock();
    }

    private static URI url(PluginContext context, String setting, URI fallback) {
        URI uri = URI.create(context.setting(setting, fallback.toString()).strip());
        if (!PlainHttp.allowed(uri)) {
            // The URL carries tokens: clear text only to this machine (a local imitation, a sidecar).
            throw new IllegalArgumentException(setting + " must be an https:// URL (http:// only to localhost), not "
                    + uri.getScheme() + "://" + uri.getHost());
        }
        return uri;
    }

    @Override
    public ImportedSecret importSecret(SecretInput input) throws InvalidSecretException {
        if (!(input instanceof SecretInput.TokenJson json)) {
            throw new InvalidSecretException("demo takes a token JSON (--token-json), not " + input.form());
        }
        JsonNode token;
        try {
            token = JSON.readTree(json.json());
        } catch (JsonProcessingException e) {
            // The parser's message may quote the input: say where, not what.
            throw new InvalidSecretException("the token JSON cannot be parsed (line " + e.getLocation().getLineNr()
                    + "): paste the whole {\"access_token\", \"refresh_token\"} object");
        }
        if (token == null || !token.isObject()) {
            throw new InvalidSecretException("the token JSON is not an object: paste {\"access_token\", \"refresh_token\"}");
        }
        String access = token.path("access_token").asText("");
        String refresh = token.path("refresh_token").asText("");
        if (access.isBlank() || refresh.isBlank()) {
            throw new InvalidSecretException("the token JSON needs access_token and refresh_token");
        }
        return ImportedSecret.of(issued(access, refresh, token.path("expires_in").asLong(3600)));
    }

    @Override
    public ValidationResult validate(SecretMaterial secret) {
        Optional<String> access = secret.field("access_token");
        if (access.isEmpty()) {
            return new ValidationResult.Rejected("no access token");
        }
        try {
            HttpResponse<CappedBody> response = send(HttpRequest.newBuilder(apiUrl)
                    .header("Authorization", "Bearer " + access.get()).GET());
            if (response.statusCode() == 200) {
                return new ValidationResult.Accepted();
            }
            if (response.statusCode() == 401) {
                return new ValidationResult.Rejected("demo answered 401");
            }
            return new ValidationResult.Inconclusive(kind(response.statusCode()), "demo answered " + response.statusCode(),
                    RetryAfter.of(response.headers(), clock.instant()));
        } catch (IOException | IllegalArgumentException e) {
            return new ValidationResult.Inconclusive(FailureKind.NETWORK, "demo unreachable (" + e.getClass().getSimpleName()
                    + ")", Optional.empty());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ValidationResult.Inconclusive(FailureKind.NETWORK, "interrupted", Optional.empty());
        }
    }

    @Override
    public RefreshResult refresh(SecretMaterial secret) {
        Optional<String> refresh = secret.field("refresh_token");
        if (refresh.isEmpty()) {
            return new RefreshResult.PermanentFailure("no refresh token: import the credential again");
        }
        try {
            String body = JSON.writeValueAsString(Map.of("refresh_token", refresh.get()));
            HttpResponse<CappedBody> response = send(HttpRequest.newBuilder(tokenUrl)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
            if (response.statusCode() == 400 || response.statusCode() == 401) {
                return new RefreshResult.PermanentFailure("demo refused the refresh token (HTTP " + response.statusCode()
                        + "): import the credential again");
            }
            if (response.statusCode() != 200) {
                // The refresh token was not spent: try again when the upstream says (at most a day away).
                return new RefreshResult.TransientFailure(kind(response.statusCode()), "demo answered "
                        + response.statusCode(), RetryAfter.of(response.headers(), clock.instant()));
            }
            if (response.body().truncated()) {
                return RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE, "demo answered more than "
                        + BODY_LIMIT + " bytes");
            }
            JsonNode token = JSON.readTree(response.body().bytes());
            String access = token.path("access_token").asText("");
            String next = token.path("refresh_token").asText("");
            if (access.isBlank() || next.isBlank()) {
                return RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE, "demo answered without tokens");
            }
            return new RefreshResult.Refreshed(issued(access, next, token.path("expires_in").asLong(3600)));
        } catch (IOException | IllegalArgumentException e) {
            return RefreshResult.TransientFailure.of(FailureKind.NETWORK, "demo unreachable (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RefreshResult.TransientFailure.of(FailureKind.NETWORK, "interrupted");
        }
    }

    @Override
    public Presentation present(SecretMaterial secret) {
        String access = secret.require("access_token");
        return new Presentation(access, Map.of("Authorization", "Bearer " + access));
    }

    /** For {@code tokenkeeper import --help}. */
    @Override
    public java.util.Set<String> importForms() {
        return java.util.Set.of("token-json");
    }

    /** For {@code tokenkeeper doctor}: the two addresses this provider calls. */
    @Override
    public List<UpstreamEndpoint> upstreams() {
        return List.of(new UpstreamEndpoint(TOKEN_URL, tokenUrl), new UpstreamEndpoint(API_URL, apiUrl));
    }

    /** One deadline for the whole exchange, and at most {@link #BODY_LIMIT} bytes of the answer read. */
    private HttpResponse<CappedBody> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return CappedBody.send(http.get(), request.timeout(TIMEOUT).build(), BODY_LIMIT, TIMEOUT);
    }

    private static FailureKind kind(int status) {
        if (status == 429) {
            return FailureKind.RATE_LIMITED;
        }
        return status >= 500 ? FailureKind.SERVER_ERROR : FailureKind.BAD_RESPONSE;
    }

    private IssuedSecret issued(String access, String refresh, long expiresIn) {
        Instant now = clock.instant();
        return new IssuedSecret(new SecretMaterial(Map.of("access_token", access, "refresh_token", refresh)), now,
                Optional.of(now.plusSeconds(Math.max(1, expiresIn))), Optional.empty());
    }
}

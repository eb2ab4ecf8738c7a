package dev.tokenkeeper.api;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Knows one upstream: how to import a user's secret, check it, refresh it and hand it to a
 * consumer. Found with {@link java.util.ServiceLoader}: a provider module declares
 * {@code provides dev.tokenkeeper.api.TokenProvider with ...}.
 *
 * <p>The daemon creates one instance, calls {@link #configure} once, then calls the other methods
 * from several threads at once: implementations must be thread-safe. The daemon guarantees that it
 * never runs two {@link #refresh} calls for the same credential at the same time, and that it
 * commits a {@link RefreshResult.Refreshed} result durably before it uses it.
 *
 * <p>No method may log, throw or return a secret value except inside {@link SecretMaterial},
 * {@link IssuedSecret} and {@link Presentation}. Failures are results, not exceptions: a runtime
 * exception escaping {@link #refresh} or {@link #validate} is treated as a transient failure.
 */
public interface TokenProvider {

    /**
     * @return the id used in credential ids and on the command line, e.g. {@code gazelle}; must
     *         satisfy the provider part of {@link CredentialId}
     */
    String id();

    /** @return one line for {@code tokenkeeper providers}, e.g. "Gazelle (OAuth 2 refresh token)" */
    default String description() {
        return id();
    }

    /**
     * Reads settings (upstream URLs, client credentials). Called once, before anything else.
     *
     * @param context settings, state folder and clock
     */
    default void configure(PluginContext context) {
    }

    /**
     * Turns what a user pasted or exported into secret material. May call the upstream (for an
     * authorization code) but should not spend a refresh token.
     *
     * @param input the user's secret in one of the forms of {@link SecretInput}
     * @return the secret, its lifetimes and any warnings
     * @throws InvalidSecretException when the input is malformed, incomplete or of a form this
     *                                provider does not take; the message says which and what to do
     */
    ImportedSecret importSecret(SecretInput input) throws InvalidSecretException;

    /**
     * Asks the upstream, as cheaply as it allows, whether the current access token is accepted.
     *
     * @param secret the current secret material
     * @return accepted, rejected (refresh needed) or inconclusive
     */
    ValidationResult validate(SecretMaterial secret);

    /**
     * Exchanges the current refresh token (or session) for new secret material.
     *
     * @param secret the current secret material
     * @return the new material, a transient failure, or a permanent failure
     */
    RefreshResult refresh(SecretMaterial secret);

    /**
     * Whether this secret can be refreshed at all. The daemon asks before it schedules or runs a
     * refresh; for {@link Refreshability.UntilExpiry} it never calls {@link #refresh} and serves the
     * secret until its access token expires ({@link IssuedSecret#accessExpiresAt()}). Must not call
     * the upstream; called often, so it should only look at the material.
     *
     * @param secret the current secret material
     * @return {@link Refreshability#REFRESHES} (the default) or {@link Refreshability#UNTIL_EXPIRY}
     */
    default Refreshability refreshability(SecretMaterial secret) {
        return Refreshability.REFRESHES;
    }

    /**
     * For providers whose sessions come from a browser: how a person signs in to the site with a
     * username and a password. When sign-in credentials are set for an account and its session is
     * rejected for good or missing, the daemon signs in through a headless browser as this page
     * describes and imports the cookies it gets with {@link #importSecret}. Read after
     * {@link #configure}; must not call the upstream.
     *
     * @return the sign-in page; empty (the default) for a provider that cannot be signed in to this way
     */
    default Optional<SignInPage> signIn() {
        return Optional.empty();
    }

    /**
     * Says how a consumer presents the current token.
     *
     * @param secret the current secret material
     * @return the bare token and the headers to send
     */
    Presentation present(SecretMaterial secret);

    /**
     * The longest time a credential may go without a refresh even when its tokens are far from
     * expiry, so that sessions nobody uses stay alive and revocations are noticed.
     *
     * @return the keep-alive interval; one day unless the provider knows better
     */
    default Duration keepAlive() {
        return Duration.ofDays(1);
    }

    /**
     * What a failed refresh costs at this upstream: how long a failure keeps the provider from trying
     * again, how many retries must fit before expiry, and how far apart the refreshes of several
     * accounts must be. The daemon plans each first attempt so that the retries fit.
     *
     * @return the provider's refresh timing; {@link RefreshTiming#DEFAULT} unless the provider knows better
     */
    default RefreshTiming refreshTiming() {
        return RefreshTiming.DEFAULT;
    }

    /**
     * For providers with an OAuth 2 authorization-code flow: the URL to send a user's browser to.
     * The code that comes back on the redirect is imported as {@link SecretInput.AuthorizationCode}.
     *
     * @param state       the anti-forgery value the redirect must carry back
     * @param redirectUri where the upstream sends the browser afterwards
     * @return the authorization URL, or empty when the provider has no such flow
     */
    default Optional<URI> authorizationUri(String state, URI redirectUri) {
        return Optional.empty();
    }

    /**
     * The authorization URL with a PKCE (RFC 7636) challenge: the code that comes back is then only
     * exchanged together with the verifier ({@link SecretInput.AuthorizationCode#codeVerifier()}).
     * The default ignores the challenge, for providers whose upstream has no PKCE.
     *
     * @param state         the anti-forgery value the redirect must carry back
     * @param redirectUri   where the upstream sends the browser afterwards
     * @param codeChallenge {@code BASE64URL(SHA-256(verifier))}, sent with {@code code_challenge_method=S256}
     * @return the authorization URL, or empty when the provider has no such flow
     */
    default Optional<URI> authorizationUri(String state, URI redirectUri, String codeChallenge) {
        return authorizationUri(state, redirectUri);
    }

    /**
     * For {@code tokenkeeper doctor}: the upstream addresses this provider calls, as configured by
     * {@link #configure}. Doctor connects to each (nothing is sent, no token is spent) and reports
     * the setting to fix when one cannot be reached. Called after {@link #configure}; must not call
     * the upstream itself.
     *
     * @return the endpoints; empty (the default) makes doctor say the provider names none
     */
    default List<UpstreamEndpoint> upstreams() {
        return List.of();
    }

    /**
     * For {@code tokenkeeper import --help}: the {@link SecretInput#form() forms} {@link #importSecret}
     * takes, e.g. {@code token-json} or {@code cookie}. Only informs the user; a form not listed is
     * still handed to {@link #importSecret}, which refuses it.
     *
     * @return the form names; empty (the default) when the provider does not say
     */
    default Set<String> importForms() {
        return Set.of();
    }

    /**
     * Routes that clients written before tokenkeeper call for this provider's credentials, which the
     * daemon serves as aliases of its own (same bearer check, same consumer rules). Read once, after
     * {@link #configure}.
     *
     * @return the routes; none (the default) for a provider without such clients
     */
    default List<LegacyRoute> legacyRoutes() {
        return List.of();
    }

    /**
     * A setting whose value the daemon imports at start as {@code <id>:default} when that credential
     * does not exist yet. Read once, after {@link #configure}.
     *
     * @return the setting and how its value is imported; empty (the default) for none
     */
    default Optional<SettingImport> settingImport() {
        return Optional.empty();
    }

    /**
     * The {@code system_settings} row older clients read this provider's token from, kept in step
     * with one credential when its setting asks for it. Read once, after {@link #configure}.
     *
     * @return the row's setting, key and value; empty (the default) for none
     */
    default Optional<LegacyRow> legacyRow() {
        return Optional.empty();
    }

    /**
     * Where this provider's sessions live in a browser, for a browser's cookies synced to the daemon
     * (the CookieCloud extension, {@code tokenkeeper cookiecloud link}): a cookie is read when its
     * domain, in lower case, contains one of these (the extension's own rule for its domain keyword).
     * Only those cookies reach {@link #importSecret}, as a {@link SecretInput.CookieFile} holding a
     * JSON array of the browser's cookie objects ({@code name, value, domain, expirationDate, ...});
     * every other cookie of the upload is discarded unread. Read after {@link #configure}.
     *
     * @return lower-case domain keywords, for example {@code vinted}; empty (the default) when this
     *         provider takes no browser cookies, and then no CookieCloud link can be made for it
     */
    default List<String> cookieDomains() {
        return List.of();
    }

    /**
     * How old a session is, so that a session synced from a browser replaces the held one only when
     * it is newer (a browser may keep uploading an older copy of the chain the daemon now owns).
     *
     * @param secret material this provider made
     * @return when its session was issued (for a rotating refresh token, that token's issue time);
     *         empty (the default) when it cannot tell, and then a synced session replaces nothing
     */
    default Optional<Instant> sessionIssuedAt(SecretMaterial secret) {
        return Optional.empty();
    }
}

package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The console's OAuth 2 authorization-code flow: {@code POST /ui/authorize} sends the browser to the
 * provider with a single-use {@code state} and an S256 PKCE challenge; {@code GET /ui/oauth/callback}
 * checks the state and has the provider exchange the code with its verifier.
 */
final class AuthorizationFlow {

    static final String CALLBACK_PATH = "/ui/oauth/callback";

    private final CredentialService credentials;
    private final Plugins plugins;
    private final ConsoleSessions sessions;
    private final PendingAuthorizations authorizations;
    private final Runnable changed;

    /** @param changed run after a credential was stored */
    AuthorizationFlow(CredentialService credentials, Plugins plugins, ConsoleSessions sessions,
                      PendingAuthorizations authorizations, Runnable changed) {
        this.credentials = credentials;
        this.plugins = plugins;
        this.sessions = sessions;
        this.authorizations = authorizations;
        this.changed = changed;
    }

    /** @return the providers with an authorization-code flow, or why it cannot run now */
    List<ConsolePages.AuthorizeOption> options(Context ctx) {
        List<ConsolePages.AuthorizeOption> options = new ArrayList<>();
        URI redirect = callbackUri(ctx);
        plugins.providers().forEach((name, found) -> {
            try {
                if (found.plugin().authorizationUri("probe", redirect).isPresent()) {
                    options.add(new ConsolePages.AuthorizeOption(name, Optional.empty()));
                }
            } catch (IllegalStateException notConfigured) {
                options.add(new ConsolePages.AuthorizeOption(name, Optional.of(notConfigured.getMessage())));
            }
        });
        return options;
    }

    /** {@code POST /ui/authorize}: a new flow, and the browser sent to the provider. */
    void start(Context ctx) {
        String provider = Optional.ofNullable(ctx.formParam("provider")).orElse("");
        String account = Optional.ofNullable(ctx.formParam("account")).orElse("").strip();
        CredentialId id = new CredentialId(provider, account.isEmpty() ? CredentialId.DEFAULT_ACCOUNT : account);
        TokenProvider found = plugins.provider(provider).orElseThrow(() -> new IllegalArgumentException(
                "no provider '" + provider + "': installed are " + plugins.providers().keySet()));
        URI redirectUri = callbackUri(ctx);
        PendingAuthorizations.Started started = authorizations.start(id, redirectUri);
        Optional<URI> url;
        try {
            url = found.authorizationUri(started.state(), redirectUri, started.codeChallenge());
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("cannot start the authorization: " + e.getMessage());
        }
        Responses.noStore(ctx);
        ctx.redirect(url.orElseThrow(() -> new IllegalArgumentException("provider '" + provider
                + "' has no authorization-code flow: import its secret instead")).toString(), HttpStatus.SEE_OTHER);
    }

    /**
     * The provider's redirect. It comes from another site, so the {@code SameSite=Strict} session
     * cookie is not sent: the single-use {@code state} is what ties it to an authorization started here.
     */
    void callback(Context ctx) {
        Optional<ConsoleSessions.Session> session = sessions.find(ctx.cookie(ConsoleRoutes.COOKIE));
        Optional<String> error = Optional.ofNullable(ctx.queryParam("error"));
        Optional<PendingAuthorizations.Pending> pending = authorizations.finish(ctx.queryParam("state"));
        if (error.isPresent()) {
            Responses.page(ctx, 400, ConsolePages.message(session, "Authorization refused", "The provider refused the authorization: "
                    + Responses.printable(error.get()) + Optional.ofNullable(ctx.queryParam("error_description"))
                    .map(d -> " (" + Responses.printable(d) + ")").orElse(""), Optional.of("/ui/import"), "Back to import"));
            return;
        }
        if (pending.isEmpty()) {
            Responses.page(ctx, 400, ConsolePages.message(session, "Wrong state", "The redirect carried a "
                    + (ctx.queryParam("state") == null ? "missing" : "wrong or expired") + " state, so it does not come from an"
                    + " authorization started here (a stale tab or a forged link); the code was not used. Start the"
                    + " authorization again.", Optional.of("/ui/import"), "Back to import"));
            return;
        }
        String code = Optional.ofNullable(ctx.queryParam("code")).filter(c -> !c.isBlank()).orElse(null);
        CredentialId id = pending.get().id();
        if (code == null) {
            Responses.page(ctx, 400, ConsolePages.message(session, "No code", "The redirect carried no authorization code: start the"
                    + " authorization again.", Optional.of("/ui/import"), "Back to import"));
            return;
        }
        try {
            CredentialService.Imported imported = credentials.importSecret(id,
                    new SecretInput.AuthorizationCode(code, pending.get().redirectUri(),
                            Optional.of(pending.get().codeVerifier())));
            changed.run();
            Responses.page(ctx, 200, ConsolePages.message(session, "tokenkeeper is authorized", "The credential " + id + " is stored ("
                    + imported.credential().status().wireName() + ").", Optional.of("/ui/credentials/" + id),
                    "Open " + id));
        } catch (InvalidSecretException e) {
            Responses.page(ctx, 400, ConsolePages.message(session, "Authorization failed", "the code could not be exchanged: "
                    + e.getMessage(), Optional.of("/ui/import"), "Back to import"));
        }
    }

    private URI callbackUri(Context ctx) {
        String host = Optional.ofNullable(ctx.header("Host")).filter(h -> h.matches("[A-Za-z0-9.:\\[\\]-]{1,260}"))
                .orElse("127.0.0.1:" + ctx.port());
        return URI.create(ctx.scheme() + "://" + host + CALLBACK_PATH);
    }
}

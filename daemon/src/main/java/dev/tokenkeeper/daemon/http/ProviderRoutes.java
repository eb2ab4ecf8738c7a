package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.oauth.Pkce;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.PluginOrigin;
import dev.tokenkeeper.daemon.plugin.Plugins;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.printable;

/**
 * {@code GET /api/v1/providers} and a provider's OAuth authorization URL.
 *
 * @param plugins the providers found
 */
record ProviderRoutes(Plugins plugins) implements RouteGroup {

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/v1/providers", ctx -> json(ctx, providers()));
        routes.get("/api/v1/providers/{id}/authorize-url", this::authorizeUrl);
    }

    /** The answer of {@code GET /api/v1/providers/{id}/authorize-url}. */
    record AuthorizeUrlView(String provider, String url) {
    }

    private void authorizeUrl(Context ctx) {
        String providerId = ctx.pathParam("id");
        TokenProvider provider = plugins.provider(providerId).orElseThrow(() -> new ApiException(404,
                "unknown_provider", "no provider '" + printable(providerId) + "': installed are "
                + plugins.providers().keySet()));
        String state = Optional.ofNullable(ctx.queryParam("state")).filter(s -> !s.isBlank())
                .orElseThrow(() -> new ApiException(400, "bad_request", "state is required"));
        if (state.length() > 512) {
            throw new ApiException(400, "bad_request", "state is too long: at most 512 characters");
        }
        String redirect = Optional.ofNullable(ctx.queryParam("redirectUri")).filter(s -> !s.isBlank())
                .orElseThrow(() -> new ApiException(400, "bad_request", "redirectUri is required"));
        URI redirectUri;
        try {
            redirectUri = new URI(redirect);
        } catch (URISyntaxException e) {
            throw new ApiException(400, "bad_request", "redirectUri is not a valid URI: " + printable(redirect));
        }
        if (!redirectUri.isAbsolute() || !("http".equals(redirectUri.getScheme()) || "https".equals(redirectUri.getScheme()))) {
            throw new ApiException(400, "bad_request", "redirectUri must be an absolute http(s) URI");
        }
        Optional<String> challenge = Optional.ofNullable(ctx.queryParam("codeChallenge"));
        if (challenge.isPresent() && !Pkce.isChallenge(challenge.get())) {
            throw new ApiException(400, "bad_request", "codeChallenge must be a PKCE S256 challenge: 43 base64url characters");
        }
        Optional<URI> url;
        try {
            url = challenge.isPresent() ? provider.authorizationUri(state, redirectUri, challenge.get())
                    : provider.authorizationUri(state, redirectUri);
        } catch (IllegalStateException e) {
            throw new ApiException(409, "not_configured", e.getMessage());
        }
        URI found = url.orElseThrow(() -> new ApiException(409, "no_authorization_flow", "provider '" + providerId
                + "' has no authorization-code flow: import its secret with `tokenkeeper import " + providerId + "`"));
        json(ctx, new AuthorizeUrlView(providerId, found.toString()));
    }

    private List<Object> providers() {
        List<Object> out = new ArrayList<>();
        plugins.providers().forEach((id, found) -> out.add(pluginView("provider", id, found.plugin().description(), found)));
        plugins.stores().forEach((id, found) -> out.add(pluginView("store", id, found.plugin().description(), found)));
        plugins.problems().forEach(problem -> out.add(new Views.ProblemView(problem.jar(), problem.reason())));
        return out;
    }

    private static Views.PluginView pluginView(String kind, String id, String description, Discovered<?> found) {
        PluginOrigin origin = found.origin();
        return new Views.PluginView(kind, id, description, origin.module(), origin.version().orElse(null),
                origin.jar().orElse(null), origin.bundled());
    }
}

package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.LegacyRoute;
import dev.tokenkeeper.api.LegacyRoute.TokenField;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import org.tinylog.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.minValidity;
import static dev.tokenkeeper.daemon.http.Requests.text;

/**
 * The routes clients older than tokenkeeper call, as the providers describe them
 * ({@link dev.tokenkeeper.api.TokenProvider#legacyRoutes}), served as thin aliases over the general ones.
 */
final class LegacyRoutes implements RouteGroup {

    private final Map<String, List<LegacyRoute>> byProvider;
    private final CredentialService credentials;
    private final CredentialRoutes credentialRoutes;
    private final SchedulerRoutes schedulerRoutes;

    /**
     * @param byProvider       each provider's legacy routes, by provider id
     * @param credentials      the credential operations
     * @param credentialRoutes what an import alias runs
     * @param schedulerRoutes  what a scheduler alias runs
     */
    LegacyRoutes(Map<String, List<LegacyRoute>> byProvider, CredentialService credentials,
                 CredentialRoutes credentialRoutes, SchedulerRoutes schedulerRoutes) {
        this.byProvider = byProvider;
        this.credentials = credentials;
        this.credentialRoutes = credentialRoutes;
        this.schedulerRoutes = schedulerRoutes;
    }

    /**
     * @param plugins the providers found
     * @return each provider's legacy routes, a path served once (the first provider, by id, to ask for it)
     */
    static Map<String, List<LegacyRoute>> of(Plugins plugins) {
        Map<String, List<LegacyRoute>> byProvider = new TreeMap<>();
        Set<String> taken = new HashSet<>();
        new TreeMap<>(plugins.providers()).forEach((id, found) -> {
            List<LegacyRoute> asked;
            try {
                asked = found.plugin().legacyRoutes();
            } catch (RuntimeException e) {
                Logger.warn("provider {} did not say its legacy routes ({}): serving none for it", id, e.getClass().getSimpleName());
                return;
            }
            List<LegacyRoute> kept = new ArrayList<>();
            for (LegacyRoute route : asked) {
                if (taken.add(route.path())) {
                    kept.add(route);
                } else {
                    Logger.warn("provider {} asks for the legacy route {}, which another provider already has: not served for {}",
                            id, route.path(), id);
                }
            }
            byProvider.put(id, List.copyOf(kept));
        });
        return byProvider;
    }

    /**
     * @param byProvider the legacy routes
     * @return the paths of their token routes, which a consumer may {@code GET} (for its credentials)
     */
    static Set<String> tokenPaths(Map<String, List<LegacyRoute>> byProvider) {
        Set<String> paths = new HashSet<>();
        byProvider.values().forEach(list -> list.stream().filter(LegacyRoute.Token.class::isInstance)
                .forEach(route -> paths.add(route.path())));
        return Set.copyOf(paths);
    }

    @Override
    public void register(RoutesConfig routes) {
        byProvider.forEach((provider, list) -> list.forEach(route -> {
            if (route instanceof LegacyRoute.Scheduler scheduler) {
                schedulerRoutes.register(routes, scheduler.path());
            } else if (route instanceof LegacyRoute.Import importRoute) {
                routes.post(importRoute.path(), ctx -> importSecret(ctx, provider, importRoute));
            } else if (route instanceof LegacyRoute.Token token) {
                routes.get(token.path(), ctx -> token(ctx, provider, token));
            }
        }));
    }

    private void importSecret(Context ctx, String provider, LegacyRoute.Import route) throws InvalidSecretException {
        JsonNode body = body(ctx);
        String account = text(body, route.accountField()).orElse(CredentialId.DEFAULT_ACCOUNT);
        SecretInput input = route.inputs().stream()
                .flatMap(field -> text(body, field.name()).map(field::input).stream())
                .findFirst()
                .orElseThrow(() -> new ApiException(400, "bad_request", route.usage()));
        credentialRoutes.importCredential(ctx, new CredentialId(provider, account), input);
    }

    private void token(Context ctx, String provider, LegacyRoute.Token route) {
        String account = Optional.ofNullable(ctx.queryParam(route.accountParameter())).orElse(CredentialId.DEFAULT_ACCOUNT);
        CredentialId id = new CredentialId(provider, account);
        Caller.requireRead(ctx, id);
        LiveCredential live = credentials.token(id, Duration.ofSeconds(minValidity(ctx)));
        Caller.recordRead(ctx, live);
        Views.TokenView view = CredentialRoutes.tokenView(live);
        Map<String, Object> answer = new LinkedHashMap<>();
        for (TokenField field : route.fields()) {
            answer.put(field.name(), value(field, view));
        }
        json(ctx, answer);
    }

    private static Object value(TokenField field, Views.TokenView view) {
        if (field instanceof TokenField.BareToken) {
            return view.token();
        } else if (field instanceof TokenField.Headers) {
            return view.headers();
        } else if (field instanceof TokenField.Header header) {
            return view.headers().get(header.header());
        }
        return view.expiresAt();
    }
}

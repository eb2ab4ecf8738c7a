package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.signin.SignInSecret;
import dev.tokenkeeper.daemon.signin.SignIns;
import io.javalin.config.RoutesConfig;

import java.util.Map;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.id;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.text;

/**
 * {@code PUT /api/v1/credentials/{id}/sign-in} ({@code {"username","password"}}, what
 * {@code tokenkeeper login} sends) stores an account's sign-in details, sealed, and signs it in at
 * once when its session is missing or needs a human; {@code DELETE} removes them. Admin only; the
 * answer never holds the details.
 *
 * @param signIns the sign-ins
 */
public record SignInRoutes(SignIns signIns) implements RouteGroup {

    @Override
    public void register(RoutesConfig routes) {
        routes.put("/api/v1/credentials/{id}/sign-in", ctx -> {
            CredentialId id = id(ctx);
            JsonNode body = body(ctx);
            String username = text(body, "username").orElse("");
            String password = text(body, "password").orElse("");
            if (username.isBlank() || password.isBlank()) {
                throw new ApiException(400, "bad_request", "send {\"username\": ..., \"password\": ...}, both not blank");
            }
            boolean started;
            try {
                started = signIns.store(id, new SignInSecret(username, password));
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "bad_request", e.getMessage());
            } catch (IllegalStateException e) {
                throw new ApiException(409, "not_supported", e.getMessage());
            }
            json(ctx, Map.of("credential", id.toString(), "signIn", started ? "started" : "stored"));
        });
        routes.delete("/api/v1/credentials/{id}/sign-in", ctx -> {
            CredentialId id = id(ctx);
            if (!signIns.remove(id)) {
                throw new ApiException(404, "not_found", "no sign-in details are stored for " + id);
            }
            ctx.status(204);
        });
    }
}

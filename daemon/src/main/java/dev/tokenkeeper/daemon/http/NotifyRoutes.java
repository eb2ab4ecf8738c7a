package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.notify.Notifications;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.List;
import java.util.Map;

import static dev.tokenkeeper.daemon.http.Requests.json;

/**
 * {@code GET /api/v1/notify/channels} (the channels, URLs redacted) and
 * {@code POST /api/v1/notify/test} (a {@code test} event to every channel, one attempt each).
 *
 * @param notifications the notifications; null answers with 503
 */
record NotifyRoutes(Notifications notifications) implements RouteGroup {

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/v1/notify/channels", ctx -> json(ctx, Map.of("channels", available().describeChannels())));
        routes.post("/api/v1/notify/test", this::test);
    }

    private void test(Context ctx) {
        List<Notifications.TestResult> results = available().sendTest();
        json(ctx, Map.of("results", results));
    }

    private Notifications available() {
        if (notifications == null) {
            throw new ApiException(503, "unavailable", "this daemon was started without notifications");
        }
        return notifications;
    }
}

package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.schedule.SchedulerState;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.time.Duration;
import java.util.Optional;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.printable;
import static dev.tokenkeeper.daemon.http.Requests.text;

/**
 * {@code GET|POST /api/v1/scheduler}, and the same under the aliases providers keep for their older
 * clients ({@link LegacyRoutes}): {@code {"isActive","autoRefreshEnabled","intervalMinutes"}}.
 *
 * @param scheduler the refresh scheduler
 */
record SchedulerRoutes(RefreshScheduler scheduler) implements RouteGroup {

    @Override
    public void register(RoutesConfig routes) {
        register(routes, "/api/v1/scheduler");
    }

    /**
     * @param routes where to add the routes
     * @param path   where they answer
     */
    void register(RoutesConfig routes, String path) {
        routes.get(path, ctx -> json(ctx, scheduler.state()));
        routes.post(path, this::schedulerAction);
    }

    private void schedulerAction(Context ctx) {
        JsonNode body = body(ctx);
        String action = text(body, "action").orElseThrow(() -> new ApiException(400, "bad_request",
                "body must be {\"action\": \"start|stop|restart\", \"intervalMinutes\": N}"));
        Optional<Duration> interval = Optional.empty();
        if (body.hasNonNull("intervalMinutes")) {
            JsonNode minutes = body.get("intervalMinutes");
            if (!minutes.isNumber() || minutes.asDouble() < 0.05 || minutes.asDouble() > 10_080) {
                throw new ApiException(400, "bad_request", "intervalMinutes must be a number from 0.05 to 10080");
            }
            interval = Optional.of(Duration.ofMillis(Math.round(minutes.asDouble() * 60_000)));
        }
        SchedulerState state;
        switch (action) {
            case "start" -> state = interval.isPresent() ? scheduler.restart(interval) : scheduler.resume();
            case "stop" -> state = scheduler.pause();
            case "restart" -> state = scheduler.restart(interval);
            default -> throw new ApiException(400, "bad_request", "unknown action '" + printable(action)
                    + "': use start, stop or restart");
        }
        json(ctx, state);
    }
}

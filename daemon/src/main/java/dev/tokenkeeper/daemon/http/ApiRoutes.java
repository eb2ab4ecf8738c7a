package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.LegacyRoute;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import dev.tokenkeeper.daemon.notify.Notifications;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.rekey.KeyRotation;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the control API serves besides health, the admin token's challenge and {@code /metrics}:
 * route groups, in the order they are registered, and who may call {@code /api/}.
 *
 * @param adminToken the bearer token (and the challenge's proof)
 * @param auth       checks the bearer token of every {@code /api/} call
 * @param metrics    what {@code /metrics} scrapes
 * @param groups     the route groups
 */
public record ApiRoutes(AdminToken adminToken, BearerAuth auth, PrometheusMeterRegistry metrics, List<RouteGroup> groups) {

    /** Copies the groups. */
    public ApiRoutes {
        groups = List.copyOf(groups);
    }

    /**
     * The API's own groups: scheduler, providers, credentials, the providers' legacy routes,
     * reports, rekey, notifications and consumers.
     *
     * @param credentials   the credential operations
     * @param scheduler     the refresh scheduler
     * @param plugins       providers and stores found
     * @param adminToken    the bearer token
     * @param metrics       the metrics registry
     * @param keyRotation   what {@code POST /api/v1/rekey} runs
     * @param notifications what {@code /api/v1/notify/*} use
     * @param consumers     the consumers and their tokens
     * @return the routes
     */
    public static ApiRoutes standard(CredentialService credentials, RefreshScheduler scheduler, Plugins plugins,
                                     AdminToken adminToken, PrometheusMeterRegistry metrics, KeyRotation keyRotation,
                                     Notifications notifications, ConsumerDirectory consumers) {
        Map<String, List<LegacyRoute>> legacy = LegacyRoutes.of(plugins);
        CredentialRoutes credentialRoutes = new CredentialRoutes(credentials, scheduler, plugins);
        SchedulerRoutes schedulerRoutes = new SchedulerRoutes(scheduler);
        return new ApiRoutes(adminToken, new BearerAuth(adminToken, consumers, metrics, LegacyRoutes.tokenPaths(legacy)),
                metrics, List.of(schedulerRoutes, new ProviderRoutes(plugins), credentialRoutes,
                new LegacyRoutes(legacy, credentials, credentialRoutes, schedulerRoutes),
                new ReportRoutes(credentials), new KeyRoutes(keyRotation),
                new NotifyRoutes(notifications), new ConsumerRoutes(consumers)));
    }

    /**
     * @param more a group served after these (the web console's)
     * @return these routes and that group
     */
    public ApiRoutes with(RouteGroup more) {
        List<RouteGroup> all = new ArrayList<>(groups);
        all.add(more);
        return new ApiRoutes(adminToken, auth, metrics, all);
    }
}

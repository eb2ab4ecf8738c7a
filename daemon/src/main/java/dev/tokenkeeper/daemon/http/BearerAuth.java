package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import dev.tokenkeeper.daemon.access.ConsumerTokens;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.tinylog.Logger;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;

/**
 * Decides who an {@code /api/} request comes from: the admin token, a consumer's token (allowed
 * only its token routes), or nobody (401, counted and slowed down). The presented bearer is never
 * logged nor echoed.
 */
public final class BearerAuth {

    /** The request attribute holding this, for {@link Caller#recordRead}. */
    static final String ATTRIBUTE = "tokenkeeper.auth";
    /** How long a failed authentication waits before its 401 when no directory says otherwise. */
    static final long FAILURE_DELAY_MILLIS = 200;
    /** At most this many failed requests wait at once; the others get 429 at once, keeping threads free. */
    static final int MOST_WAITING_FAILURES = 16;

    private static final Pattern CONSUMER_TOKEN_ROUTE = Pattern.compile("/api/v1/credentials/[^/]+/token/?");
    private static final Pattern CONSUMER_REJECTED_ROUTE = Pattern.compile("/api/v1/credentials/[^/]+/rejected/?");

    private static final Caller.Admin ADMIN = new Caller.Admin();

    private final AdminToken adminToken;
    private final ConsumerDirectory consumers;
    private final MeterRegistry metrics;
    private final Counter failures;
    private final Map<String, Counter> reads = new ConcurrentHashMap<>();
    private final Semaphore waiting = new Semaphore(MOST_WAITING_FAILURES);
    /** The providers' legacy token routes, which consumers may GET too. */
    private final Set<String> legacyTokenRoutes;

    /**
     * @param adminToken        the admin token
     * @param consumers         the consumers, or null when this daemon has none
     * @param metrics           where failures and reads are counted
     * @param legacyTokenRoutes the providers' legacy token routes, which consumers may GET too
     */
    BearerAuth(AdminToken adminToken, ConsumerDirectory consumers, MeterRegistry metrics, Set<String> legacyTokenRoutes) {
        this.legacyTokenRoutes = Set.copyOf(legacyTokenRoutes);
        this.adminToken = adminToken;
        this.consumers = consumers;
        this.metrics = metrics;
        this.failures = Counter.builder("tokenkeeper_auth_failures").description("requests refused for a missing or wrong bearer token")
                .register(metrics);
        reads("admin");
        if (consumers != null) {
            Gauge.builder("tokenkeeper_consumer_rows_ignored", consumers, ConsumerDirectory::ignoredRows)
                    .description("consumer rows in the store without a valid tag: written without the master key,"
                            + " they grant nothing").register(metrics);
        }
    }

    /** @return where consumers live, or null when this daemon has none */
    ConsumerDirectory consumers() {
        return consumers;
    }

    void authorize(Context ctx) {
        String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
        String presented = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        ctx.attribute(ATTRIBUTE, this);
        // Consumer tokens carry their prefix, so each request hashes the bearer once, not twice.
        boolean consumerShaped = consumers != null && presented.startsWith(ConsumerTokens.PREFIX);
        Optional<Consumer> consumer = consumerShaped ? consumers.authenticate(presented) : Optional.empty();
        if (consumer.isEmpty() && adminToken.matches(presented)) {
            ctx.attribute(Caller.ATTRIBUTE, ADMIN);
            return;
        }
        if (consumer.isEmpty()) {
            refuse(ctx);
            return;
        }
        Caller.Scoped caller = new Caller.Scoped(consumer.get());
        if (!allowedToConsumers(ctx)) {
            throw new ApiException(403, "forbidden", "consumer " + caller.name() + " may only GET"
                    + " /api/v1/credentials/{id}/token and POST /api/v1/credentials/{id}/rejected for "
                    + caller.consumer().credentials() + (legacyTokenRoutes.isEmpty() ? "" : " (and GET "
                    + String.join(", ", new TreeSet<>(legacyTokenRoutes)) + " for a credential among them)")
                    + "; everything else needs the admin token");
        }
        ctx.attribute(Caller.ATTRIBUTE, caller);
    }

    private boolean allowedToConsumers(Context ctx) {
        String path = ctx.path();
        return switch (ctx.method().name()) {
            case "GET" -> CONSUMER_TOKEN_ROUTE.matcher(path).matches() || legacyTokenRoutes.contains(path);
            case "POST" -> CONSUMER_REJECTED_ROUTE.matcher(path).matches();
            default -> false;
        };
    }

    private void refuse(Context ctx) {
        failures.increment();
        ctx.header("WWW-Authenticate", "Bearer");
        if (!waiting.tryAcquire()) {
            throw new ApiException(429, "too_many_failures",
                    "too many requests with a missing or wrong token at once: wait, then send a valid token");
        }
        try {
            long delay = consumers == null ? FAILURE_DELAY_MILLIS : consumers.failureDelay().toMillis();
            if (delay > 0) {
                Thread.sleep(delay);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            waiting.release();
        }
        throw new ApiException(401, "unauthorized",
                "missing or wrong token: send `Authorization: Bearer <token>` with the admin token (from the"
                        + " admin-token file) or a consumer token (from `tokenkeeper consumer add`)");
    }

    void recordRead(Caller caller, LiveCredential live) {
        reads(caller.name()).increment();
        if (consumers != null && consumers.recordRead(caller.name(), live.stored().id(), live.stored().version())) {
            Logger.info("{} {} read the token of {} version {} for the first time",
                    caller instanceof Caller.Admin ? "the" : "consumer", caller.name(), live.stored().id(),
                    live.stored().version());
        }
    }

    private Counter reads(String consumer) {
        return reads.computeIfAbsent(consumer, name -> Counter.builder("tokenkeeper_token_reads")
                .description("tokens handed out, by consumer (admin for the admin token)")
                .tag("consumer", name).register(metrics));
    }
}

package dev.tokenkeeper.daemon.legacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Keeps a legacy Supabase {@code system_settings} row ({@link WantedRow}) up to date after every
 * refresh of its credential, through PostgREST, so clients older than tokenkeeper work unchanged.
 * Writes happen off the refresh path; a failed write is retried until it succeeds, and only the
 * newest token is ever written.
 */
public final class SettingsRowWriter implements RefreshListener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WantedRow wanted;
    private final URI endpoint;
    private final String serviceKey;
    private final Function<StoredCredential, Optional<SecretMaterial>> opener;
    /** Built at start: a JDK client starts its selector thread as soon as it is built. */
    private volatile HttpClient http;
    private final AtomicReference<StoredCredential> pending = new AtomicReference<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "legacy-row");
        thread.setDaemon(true);
        return thread;
    });

    private SettingsRowWriter(WantedRow wanted, URI endpoint, String serviceKey,
                              Function<StoredCredential, Optional<SecretMaterial>> opener) {
        this.wanted = wanted;
        this.endpoint = endpoint;
        this.serviceKey = serviceKey;
        this.opener = opener;
    }

    /**
     * @param wanted   the row asked for
     * @param settings the daemon's settings ({@code SUPABASE_URL}, {@code SUPABASE_SERVICE_ROLE_KEY})
     * @param opener   opens a credential's secret
     * @return the row keeper, writing nothing until {@link #start()}
     * @throws ConfigurationException when Supabase is not configured
     */
    public static SettingsRowWriter of(WantedRow wanted, Settings settings,
                                          Function<StoredCredential, Optional<SecretMaterial>> opener) {
        String setting = wanted.row().setting();
        String url = settings.get("SUPABASE_URL").orElseThrow(() -> new ConfigurationException(
                setting + " needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY"));
        String key = settings.get("SUPABASE_SERVICE_ROLE_KEY").orElseThrow(() -> new ConfigurationException(
                setting + " needs SUPABASE_SERVICE_ROLE_KEY"));
        URI endpoint = URI.create(url.replaceAll("/+$", "") + "/rest/v1/system_settings?on_conflict=key");
        return new SettingsRowWriter(wanted, endpoint, key, opener);
    }

    /** Starts the writer's thread, which also retries a failed write every 30 s. */
    public void start() {
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        Logger.info("keeping Supabase system_settings row '{}' in step with {}", wanted.row().key(), wanted.id());
        writer.scheduleWithFixedDelay(this::writePending, 30, 30, TimeUnit.SECONDS);
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        if (!wanted.matches(credential)) {
            return;
        }
        pending.accumulateAndGet(credential, (old, candidate) ->
                old == null || candidate.version() >= old.version() ? candidate : old);
        writer.execute(this::writePending);
    }

    private void writePending() {
        StoredCredential credential = pending.get();
        if (credential == null) {
            return;
        }
        String key = wanted.row().key();
        try {
            Optional<SettingsRow> row = wanted.of(credential, opener);
            if (row.isEmpty()) {
                return;
            }
            ArrayNode body = JSON.createArrayNode();
            body.addObject().put("key", key).set("value", JSON.readTree(row.get().json()));
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(endpoint)
                            .timeout(Duration.ofSeconds(30))
                            .header("apikey", serviceKey)
                            .header("Authorization", "Bearer " + serviceKey)
                            .header("Content-Type", "application/json")
                            .header("Prefer", "resolution=merge-duplicates,return=minimal")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 == 2) {
                pending.compareAndSet(credential, null);
                Logger.info("Supabase system_settings '{}' updated from {} version {}", key, wanted.id(), credential.version());
            } else {
                Logger.warn("Supabase system_settings '{}' not updated: HTTP {}; retrying in 30 s", key, response.statusCode());
            }
        } catch (IOException e) {
            Logger.warn("Supabase system_settings '{}' not updated ({}); retrying in 30 s", key, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            Logger.warn("Supabase system_settings '{}' not updated: {}", key, e.getClass().getSimpleName());
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

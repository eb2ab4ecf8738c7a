package dev.tokenkeeper.daemon.legacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SecretMaterial;
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
 * Keeps the Supabase row existing Gazelle deployments read their token from —
 * {@code system_settings} where {@code key = 'gazelle_oauth_token'}, column {@code value} =
 * {@code {"access_token","refresh_token","expires_in","created_at"}} — up to date after every
 * refresh, so their Python clients work unchanged. Opt-in with
 * {@code TOKENKEEPER_SUPABASE_LEGACY_GAZELLE=true} (for {@code gazelle:default}) or
 * {@code =gazelle:<account>}. Writes happen off the refresh path; a failed write is retried until
 * it succeeds, and only the newest token is ever written.
 */
public final class GazelleSettingsRow implements RefreshListener, AutoCloseable {

    /** The row's key. */
    public static final String KEY = "gazelle_oauth_token";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CredentialId id;
    private final URI endpoint;
    private final String serviceKey;
    private final Function<StoredCredential, Optional<SecretMaterial>> opener;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final AtomicReference<StoredCredential> pending = new AtomicReference<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "legacy-row");
        thread.setDaemon(true);
        return thread;
    });

    private GazelleSettingsRow(CredentialId id, URI endpoint, String serviceKey,
                               Function<StoredCredential, Optional<SecretMaterial>> opener) {
        this.id = id;
        this.endpoint = endpoint;
        this.serviceKey = serviceKey;
        this.opener = opener;
        writer.scheduleWithFixedDelay(this::writePending, 30, 30, TimeUnit.SECONDS);
    }

    /**
     * @param settings the daemon's settings
     * @param opener   opens a credential's secret
     * @return the row keeper, when the setting asks for one
     * @throws ConfigurationException when it is asked for but Supabase is not configured
     */
    public static Optional<GazelleSettingsRow> fromSettings(Settings settings,
                                                            Function<StoredCredential, Optional<SecretMaterial>> opener) {
        Optional<CredentialId> wanted = wanted(settings);
        if (wanted.isEmpty()) {
            return Optional.empty();
        }
        CredentialId id = wanted.get();
        String url = settings.get("SUPABASE_URL").orElseThrow(() -> new ConfigurationException(
                "TOKENKEEPER_SUPABASE_LEGACY_GAZELLE needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY"));
        String key = settings.get("SUPABASE_SERVICE_ROLE_KEY").orElseThrow(() -> new ConfigurationException(
                "TOKENKEEPER_SUPABASE_LEGACY_GAZELLE needs SUPABASE_SERVICE_ROLE_KEY"));
        URI endpoint = URI.create(url.replaceAll("/+$", "") + "/rest/v1/system_settings?on_conflict=key");
        Logger.info("keeping Supabase system_settings row '{}' in step with {}", KEY, id);
        return Optional.of(new GazelleSettingsRow(id, endpoint, key, opener));
    }

    /**
     * @param settings the daemon's settings
     * @return the credential {@code TOKENKEEPER_SUPABASE_LEGACY_GAZELLE} asks a row for, if it does
     */
    public static Optional<CredentialId> wanted(Settings settings) {
        Optional<String> wanted = settings.get("TOKENKEEPER_SUPABASE_LEGACY_GAZELLE");
        if (wanted.isEmpty() || wanted.get().equalsIgnoreCase("false")) {
            return Optional.empty();
        }
        return Optional.of(wanted.get().equalsIgnoreCase("true") ? CredentialId.defaultFor("gazelle")
                : CredentialId.parse(wanted.get()));
    }

    /**
     * The JSON existing clients read.
     *
     * @param credential the credential
     * @param secret     its opened secret
     * @return {@code {"access_token","refresh_token","expires_in","created_at"}}
     */
    public static ObjectNode legacyValue(StoredCredential credential, SecretMaterial secret) {
        ObjectNode value = JSON.createObjectNode();
        value.put("access_token", secret.require("access_token"));
        value.put("refresh_token", secret.require("refresh_token"));
        long expiresIn = credential.accessExpiresAt()
                .map(expiry -> Duration.between(credential.issuedAt(), expiry).toSeconds()).orElse(0L);
        value.put("expires_in", expiresIn);
        value.put("created_at", credential.issuedAt().getEpochSecond());
        return value;
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        if (!credential.id().equals(id) || credential.status() != CredentialStatus.ACTIVE) {
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
        try {
            Optional<SecretMaterial> secret = opener.apply(credential);
            if (secret.isEmpty()) {
                return;
            }
            ArrayNode body = JSON.createArrayNode();
            body.addObject().put("key", KEY).set("value", legacyValue(credential, secret.get()));
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
                Logger.info("Supabase system_settings '{}' updated from {} version {}", KEY, id, credential.version());
            } else {
                Logger.warn("Supabase system_settings '{}' not updated: HTTP {}; retrying in 30 s", KEY, response.statusCode());
            }
        } catch (IOException e) {
            Logger.warn("Supabase system_settings '{}' not updated ({}); retrying in 30 s", KEY, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            Logger.warn("Supabase system_settings '{}' not updated: {}", KEY, e.getClass().getSimpleName());
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

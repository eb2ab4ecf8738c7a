package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.http.Json;
import dev.tokenkeeper.api.LegacyRow;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.plugin.PluginLoader;
import dev.tokenkeeper.daemon.plugin.Plugins;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Reads the token existing deployments keep in Supabase's {@code system_settings} table, in the row
 * the provider names ({@link TokenProvider#legacyRow}).
 */
final class LegacySettingsReader {

    private LegacySettingsReader() {
    }

    /**
     * @param settings where SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY come from
     * @param plugins  the providers installed
     * @param provider the provider whose row is read
     * @return the row's {@code value} as JSON text
     */
    static String read(Settings settings, Plugins plugins, String provider) {
        String rowKey = plugins.provider(provider).flatMap(TokenProvider::legacyRow).map(LegacyRow::key)
                .orElseThrow(() -> new IllegalArgumentException("--from-supabase-settings: "
                        + (plugins.provider(provider).isPresent() ? "the " + provider + " provider keeps no system_settings row"
                        : "no provider '" + provider + "' is installed (installed are " + plugins.providers().keySet() + ")")
                        + "; import with --token-json instead"));
        String url = settings.get("SUPABASE_URL").orElseThrow(() ->
                new ConfigurationException("--from-supabase-settings needs SUPABASE_URL"));
        String key = settings.get("SUPABASE_SERVICE_ROLE_KEY").orElseThrow(() ->
                new ConfigurationException("--from-supabase-settings needs SUPABASE_SERVICE_ROLE_KEY"));
        URI uri = URI.create(url.replaceAll("/+$", "") + "/rest/v1/system_settings?select=value&key=eq."
                + rowKey);
        try {
            HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                    .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                            .header("apikey", key).header("Authorization", "Bearer " + key)
                            .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401 || response.statusCode() == 403) {
                throw new IllegalStateException("Supabase rejected SUPABASE_SERVICE_ROLE_KEY (HTTP " + response.statusCode()
                        + "): use the service_role key");
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("Supabase answered HTTP " + response.statusCode()
                        + " for system_settings: does the table exist?");
            }
            JsonNode rows = Json.MAPPER.readTree(response.body());
            if (!rows.isArray() || rows.isEmpty() || !rows.get(0).has("value")) {
                throw new IllegalStateException("no system_settings row with key '" + rowKey + "' in Supabase");
            }
            JsonNode value = rows.get(0).get("value");
            return value.isTextual() ? value.asText() : value.toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach SUPABASE_URL (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}

package dev.tokenkeeper.provider.gazelle.legacy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.LegacyRow;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Duration;

/**
 * The Supabase row existing Gazelle deployments read their token from: {@code system_settings}
 * where {@code key = 'gazelle_oauth_token'}, column {@code value} =
 * {@code {"access_token","refresh_token","expires_in","created_at"}}, so their Python clients work
 * unchanged. Asked for with {@code TOKENKEEPER_SUPABASE_LEGACY_GAZELLE=true} (for
 * {@code gazelle:default}) or {@code =gazelle:<account>}.
 */
public final class SettingsRowShape {

    /** The row's key. */
    public static final String KEY = "gazelle_oauth_token";

    /** The row, its setting and its shape. */
    public static final LegacyRow ROW = new LegacyRow("TOKENKEEPER_SUPABASE_LEGACY_GAZELLE", KEY, SettingsRowShape::value);

    private static final ObjectMapper JSON = new ObjectMapper();

    private SettingsRowShape() {
    }

    /**
     * @param credential the committed credential
     * @param secret     its opened secret
     * @return {@code {"access_token","refresh_token","expires_in","created_at"}}
     */
    static String value(StoredCredential credential, SecretMaterial secret) {
        ObjectNode value = JSON.createObjectNode();
        value.put("access_token", secret.require("access_token"));
        value.put("refresh_token", secret.require("refresh_token"));
        long expiresIn = credential.accessExpiresAt()
                .map(expiry -> Duration.between(credential.issuedAt(), expiry).toSeconds()).orElse(0L);
        value.put("expires_in", expiresIn);
        value.put("created_at", credential.issuedAt().getEpochSecond());
        return value.toString();
    }
}

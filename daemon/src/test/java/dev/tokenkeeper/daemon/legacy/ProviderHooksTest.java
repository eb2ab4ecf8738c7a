package dev.tokenkeeper.daemon.legacy;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.LegacyRow;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.PluginOrigin;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.plugin.Renewal;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's side of the providers' legacy hooks, with a provider the daemon has never heard of. */
class ProviderHooksTest {

    /** A provider that keeps a legacy row under its own setting. */
    private static final class RowKeeping implements TokenProvider {
        @Override
        public String id() {
            return "acme";
        }

        @Override
        public ImportedSecret importSecret(SecretInput input) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ValidationResult validate(SecretMaterial secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public RefreshResult refresh(SecretMaterial secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Presentation present(SecretMaterial secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<LegacyRow> legacyRow() {
            return Optional.of(new LegacyRow("ACME_LEGACY_ROW", "acme_token",
                    (credential, secret) -> "{\"t\":\"" + secret.require("access_token") + "\"}"));
        }
    }

    private static Plugins plugins() {
        return new Plugins(Map.of("acme", new Discovered<>(new RowKeeping(),
                new PluginOrigin("test", Optional.empty(), Optional.empty(), true))), Map.of(), List.of());
    }

    private static List<WantedRow> wanted(String value) {
        return WantedRow.from(Settings.of(value == null ? Map.of() : Map.of("ACME_LEGACY_ROW", value), Map.of()), plugins());
    }

    private static StoredCredential credential(CredentialId id, CredentialStatus status) {
        Instant t = Instant.parse("2026-03-01T00:00:00Z");
        return new StoredCredential(id, status, SealedSecret.of(new byte[] {1}), t, Optional.empty(), Optional.empty(), 1,
                Optional.empty(), Optional.empty(), t);
    }

    @Test
    void aProvidersSettingAsksForItsRowForTheDefaultOrANamedAccount() {
        assertEquals(List.of(), wanted(null));
        assertEquals(List.of(), wanted("false"));
        assertEquals(new CredentialId("acme", "default"), wanted("true").get(0).id());
        assertEquals(new CredentialId("acme", "shop"), wanted("acme:shop").get(0).id());
        ConfigurationException other = assertThrows(ConfigurationException.class, () -> wanted("other:shop"));
        assertTrue(other.getMessage().contains("ACME_LEGACY_ROW=other:shop") && other.getMessage().contains("acme:<account>"),
                other.getMessage());
    }

    @Test
    void theRowHoldsTheProvidersShapeOfItsActiveCredentialOnly() {
        WantedRow row = wanted("acme:shop").get(0);
        SecretMaterial secret = new SecretMaterial(Map.of("access_token", "a1"));
        Optional<SettingsRow> written = row.of(credential(new CredentialId("acme", "shop"), CredentialStatus.ACTIVE),
                c -> Optional.of(secret));
        assertEquals("acme_token", written.orElseThrow().key());
        assertEquals("{\"t\":\"a1\"}", written.orElseThrow().json());
        assertTrue(row.of(credential(new CredentialId("acme", "other"), CredentialStatus.ACTIVE), c -> Optional.of(secret)).isEmpty());
        assertTrue(row.of(credential(new CredentialId("acme", "shop"), CredentialStatus.EXPIRED), c -> Optional.of(secret)).isEmpty());
    }

    @Test
    void theRenewalIsToldFromTheFormsAProviderTakes() {
        CredentialId id = new CredentialId("acme", "shop");
        assertEquals("tokenkeeper authorize acme --account shop", Renewal.command(id, Set.of("token-json", "authorization-code")));
        assertEquals("tokenkeeper import acme --account shop --cookie-file <cookies exported from the browser>",
                Renewal.command(id, Set.of("cookie", "cookie-file")));
        assertEquals("tokenkeeper import acme --account shop --token-json <file>", Renewal.command(id, Set.of()));
        assertEquals("Authorize Acme again, or import a fresh token JSON.", Renewal.advice("Acme", Set.of("token-json", "authorization-code")));
        assertEquals("Log in to Acme in a browser, copy the Cookie header and import it again.", Renewal.advice("Acme", Set.of("cookie")));
        assertEquals("Import a fresh secret for it.", Renewal.advice("Acme", Set.of("token-json")));
    }
}

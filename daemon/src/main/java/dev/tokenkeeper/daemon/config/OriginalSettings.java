package dev.tokenkeeper.daemon.config;

import java.util.Set;

/**
 * The environment names that deployments older than tokenkeeper set and that keep working: the one
 * place in the daemon that names them. The rest of the daemon reads them through these constants,
 * as aliases of its own settings or as the secret settings of the providers that read them.
 */
public final class OriginalSettings {

    /** The older alias of {@code TOKENKEEPER_AUTO_REFRESH_ENABLED}. */
    public static final String AUTO_REFRESH_ENABLED = "VINTED_AUTO_REFRESH_ENABLED";
    /** The older alias of {@code TOKENKEEPER_CHECK_INTERVAL_MINUTES}. */
    public static final String CHECK_INTERVAL_MINUTES = "VINTED_TOKEN_REFRESH_INTERVAL_MINUTES";
    /** The passphrase the master key is derived from. */
    public static final String PASSPHRASE = "VINTED_CREDENTIALS_SECRET";

    /**
     * The original settings that hold secrets: the passphrase, and those the bundled providers read
     * (a session imported at start, an OAuth client secret, the username and password a provider's
     * default account is signed in with, {@code <PROVIDER>_USERNAME} and {@code <PROVIDER>_PASSWORD}).
     * {@link SecretSettings#NAMES} includes them.
     */
    static final Set<String> SECRETS = Set.of(PASSPHRASE, "VINTED_SESSION", "GAZELLE_CLIENT_SECRET",
            "VINTED_USERNAME", "VINTED_PASSWORD");

    private OriginalSettings() {
    }
}

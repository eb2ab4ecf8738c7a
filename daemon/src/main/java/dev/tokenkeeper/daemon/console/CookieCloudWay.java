package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;

import java.util.Optional;

/** The console's sentence for a credential a CookieCloud browser extension is linked to. */
public final class CookieCloudWay {

    /** The account-secret kind of a CookieCloud link. */
    static final String KIND = "cookiecloud";

    private CookieCloudWay() {
    }

    /**
     * @param store the store holding the links
     * @param id    a credential that needs a human
     * @return what to do through CookieCloud, when a link is stored for it
     */
    public static Optional<String> advice(TokenStore store, CredentialId id) {
        return store.capability(AccountSecrets.class).flatMap(rows -> rows.accountSecret(id, KIND))
                .map(link -> "Sign in to the site in the browser whose CookieCloud extension is linked to this account:"
                        + " its next upload is imported.");
    }
}

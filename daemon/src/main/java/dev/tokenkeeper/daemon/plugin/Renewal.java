package dev.tokenkeeper.daemon.plugin;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenProvider;

import java.util.Set;

/**
 * How a human gives a credential a new secret, told from the forms its provider takes
 * ({@link TokenProvider#importForms}): the browser authorization when it has one, else a browser's
 * cookies when it takes them, else a token JSON.
 */
public final class Renewal {

    private Renewal() {
    }

    /**
     * @param id    the credential
     * @param forms the import forms of its provider (empty when it does not say or is not installed)
     * @return the exact command that gives it a new secret
     */
    public static String command(CredentialId id, Set<String> forms) {
        String prefix = " " + id.provider() + " --account " + id.account();
        if (forms.contains("authorization-code")) {
            return "tokenkeeper authorize" + prefix;
        }
        if (forms.contains("cookie-file")) {
            return "tokenkeeper import" + prefix + " --cookie-file <cookies exported from the browser>";
        }
        return "tokenkeeper import" + prefix + " --token-json <file>";
    }

    /**
     * @param id    a credential whose secret cannot refresh
     * @param forms the import forms of its provider
     * @return the exact command that imports a new secret of the same kind: an access token when the
     *         provider takes one, else {@link #command}
     */
    public static String untilExpiryCommand(CredentialId id, Set<String> forms) {
        if (forms.contains("access-token")) {
            return "tokenkeeper import " + id.provider() + " --account " + id.account() + " --access-token -";
        }
        return command(id, forms);
    }

    /**
     * @param title the provider's name as shown to people
     * @param forms the import forms of the provider
     * @return one sentence: what to do so that the credential works again
     */
    public static String advice(String title, Set<String> forms) {
        if (forms.contains("authorization-code")) {
            return "Authorize " + title + " again" + (forms.contains("token-json") ? ", or import a fresh token JSON." : ".");
        }
        if (forms.contains("cookie")) {
            return "Log in to " + title + " in a browser, copy the Cookie header and import it again.";
        }
        return "Import a fresh secret for it.";
    }

    /**
     * @param plugins  the plugins found
     * @param provider a provider id
     * @return its import forms; empty when it does not say, is not installed, or fails to answer
     */
    public static Set<String> forms(Plugins plugins, String provider) {
        try {
            return plugins.provider(provider).map(TokenProvider::importForms).orElse(Set.of());
        } catch (RuntimeException e) {
            return Set.of();
        }
    }
}

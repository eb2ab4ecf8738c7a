package dev.tokenkeeper.daemon.signin;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code doctor} says of the sign-in, per credential (and per account the settings sign in):
 * not available (the provider has no sign-in page), not set up, set up without the browser, or set up.
 */
public final class SignInSetup {

    /**
     * One line of the report.
     *
     * @param ok         false when something must be installed or fixed
     * @param credential the credential, or empty for the settings as a whole
     * @param detail     what is set up and what to do
     */
    public record Line(boolean ok, String credential, String detail) {
    }

    private SignInSetup() {
    }

    /**
     * @param settings    the settings
     * @param providers   the installed providers by id
     * @param credentials the stored credentials' ids
     * @param stored      the credentials with sign-in details in the store ({@code tokenkeeper login})
     * @return the lines, in credential order
     */
    public static List<Line> describe(Settings settings, Map<String, TokenProvider> providers,
                                      Collection<CredentialId> credentials, Collection<CredentialId> stored) {
        Set<String> withPage = new TreeSet<>();
        providers.forEach((id, provider) -> {
            try {
                if (provider.signIn().isPresent()) {
                    withPage.add(id);
                }
            } catch (RuntimeException e) {
                // A provider that cannot say is one without a sign-in page; doctor's upstream check says why.
            }
        });
        SignInSettings signIn;
        try {
            signIn = SignInSettings.from(settings, withPage);
        } catch (ConfigurationException e) {
            return List.of(new Line(false, "", e.getMessage()));
        }
        Set<CredentialId> ids = new TreeSet<>(Comparator.comparing(CredentialId::toString));
        ids.addAll(credentials);
        ids.addAll(signIn.fromSettings().keySet());
        ids.addAll(stored);
        List<Line> lines = new ArrayList<>();
        for (CredentialId id : ids) {
            String names = SignInSettings.usernameSetting(id.provider()) + ", " + SignInSettings.passwordSetting(id.provider());
            String where = signIn.fromSettings().containsKey(id) ? names : "stored with tokenkeeper login";
            if (!withPage.contains(id.provider())) {
                lines.add(new Line(true, id.toString(), "sign-in not available: provider " + id.provider()
                        + " has no sign-in page"));
            } else if (!signIn.fromSettings().containsKey(id) && !stored.contains(id)) {
                lines.add(new Line(true, id.toString(), "sign-in not set up: run `tokenkeeper login " + id + "`"
                        + (id.account().equals(CredentialId.DEFAULT_ACCOUNT) ? " or set " + names : "")
                        + " to let the daemon sign in when the session is gone"));
            } else if (!signIn.browserInstalled()) {
                lines.add(new Line(false, id.toString(), "sign-in set up (" + where + "), but " + signIn.installHint()));
            } else {
                lines.add(new Line(true, id.toString(), "sign-in set up (" + where + "): signs in with " + signIn.chromium()
                        + " when the session is gone, at most " + signIn.attemptsPerDay() + " attempts a day"));
            }
        }
        return lines;
    }
}

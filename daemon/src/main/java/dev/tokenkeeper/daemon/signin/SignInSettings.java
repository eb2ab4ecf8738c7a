package dev.tokenkeeper.daemon.signin;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How the daemon signs in: the browser, how many attempts a day an account gets, how long one may
 * take, and the sign-in secrets the settings give: for each provider with a sign-in page,
 * {@code <PROVIDER>_USERNAME} and {@code <PROVIDER>_PASSWORD} (the provider's id in upper case) sign
 * in its {@code default} account, as the original settings of the first such provider did.
 *
 * @param chromium       the browser's executable ({@code TOKENKEEPER_CHROMIUM}, {@code /usr/bin/chromium})
 * @param attemptsPerDay attempts per account in any 24 hours ({@code TOKENKEEPER_SIGN_IN_ATTEMPTS_PER_DAY}, 3)
 * @param timeout        how long one attempt may take in the browser ({@code TOKENKEEPER_SIGN_IN_TIMEOUT_SECONDS}, 60)
 * @param fromSettings   the sign-in secrets set in the settings, per credential
 */
public record SignInSettings(Path chromium, int attemptsPerDay, Duration timeout, Map<CredentialId, SignInSecret> fromSettings) {

    /** The browser's executable. */
    public static final String CHROMIUM = "TOKENKEEPER_CHROMIUM";
    /** Attempts per account in any 24 hours. */
    public static final String ATTEMPTS_PER_DAY = "TOKENKEEPER_SIGN_IN_ATTEMPTS_PER_DAY";
    /** How long one attempt may take. */
    public static final String TIMEOUT_SECONDS = "TOKENKEEPER_SIGN_IN_TIMEOUT_SECONDS";
    /** Debian's chromium. */
    public static final String DEFAULT_CHROMIUM = "/usr/bin/chromium";

    /** Copies the map. */
    public SignInSettings {
        fromSettings = Map.copyOf(fromSettings);
    }

    /**
     * @param settings  the daemon's settings
     * @param providers the ids of the providers that have a sign-in page
     * @return what they say
     * @throws ConfigurationException when a number is out of range, or one of a username and password is
     *                                set without the other
     */
    public static SignInSettings from(Settings settings, Set<String> providers) {
        Path chromium = Path.of(settings.get(CHROMIUM).orElse(DEFAULT_CHROMIUM));
        int attempts = (int) settings.number(ATTEMPTS_PER_DAY, null, 3, 1, 24);
        Duration timeout = Duration.ofSeconds((long) settings.number(TIMEOUT_SECONDS, null, 60, 10, 600));
        Map<CredentialId, SignInSecret> secrets = new HashMap<>();
        for (String provider : providers) {
            String usernameName = usernameSetting(provider);
            String passwordName = passwordSetting(provider);
            Optional<String> username = settings.get(usernameName);
            Optional<String> password = settings.get(passwordName);
            if (username.isPresent() != password.isPresent()) {
                throw new ConfigurationException((username.isPresent() ? passwordName : usernameName) + " is not set but "
                        + (username.isPresent() ? usernameName : passwordName) + " is: set both (the daemon signs "
                        + CredentialId.defaultFor(provider) + " in with them when its session is gone) or neither");
            }
            username.ifPresent(name -> secrets.put(CredentialId.defaultFor(provider), new SignInSecret(name, password.get())));
        }
        return new SignInSettings(chromium, attempts, timeout, secrets);
    }

    /**
     * @param provider a provider's id
     * @return the setting holding the username of its {@code default} account, e.g. {@code ACME_USERNAME}
     */
    public static String usernameSetting(String provider) {
        return provider.toUpperCase(Locale.ROOT).replace('-', '_') + "_USERNAME";
    }

    /**
     * @param provider a provider's id
     * @return the setting holding the password of its {@code default} account, e.g. {@code ACME_PASSWORD}
     */
    public static String passwordSetting(String provider) {
        return provider.toUpperCase(Locale.ROOT).replace('-', '_') + "_PASSWORD";
    }

    /** @return whether the browser is there to run */
    public boolean browserInstalled() {
        return Files.isExecutable(chromium);
    }

    /** @return what to do when it is not */
    public String installHint() {
        return "no browser at " + chromium + ": install Debian's chromium (apt install chromium) or set " + CHROMIUM;
    }

    /** @return never the secrets */
    @Override
    public String toString() {
        return "SignInSettings[" + chromium + ", " + attemptsPerDay + "/day, " + timeout.toSeconds() + " s, accounts "
                + fromSettings.keySet() + "]";
    }
}

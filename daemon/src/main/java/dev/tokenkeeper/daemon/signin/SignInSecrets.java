package dev.tokenkeeper.daemon.signin;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.daemon.crypto.AccountSecretSeal;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import org.tinylog.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where the username and password of an account come from: the settings
 * ({@code <PROVIDER>_USERNAME}/{@code <PROVIDER>_PASSWORD}, for the default account) first, else the
 * store's account secrets of kind {@value #KIND} ({@code tokenkeeper login}), sealed with the master
 * key and authenticated as consumer rows are.
 */
public final class SignInSecrets {

    /** The account-secret kind the sign-in details are stored as. */
    public static final String KIND = "sign-in";

    private final Map<CredentialId, SignInSecret> fromSettings;
    private final TokenStore store;
    private final AccountSecretSeal seal;
    private final Clock clock;

    /**
     * @param fromSettings the secrets the settings give
     * @param store        the store (its {@link AccountSecrets} capability, when it has one, keeps the others)
     * @param seal         seals and checks the rows
     * @param clock        the time rows are stored at
     */
    public SignInSecrets(Map<CredentialId, SignInSecret> fromSettings, TokenStore store, AccountSecretSeal seal, Clock clock) {
        this.fromSettings = Map.copyOf(fromSettings);
        this.store = store;
        this.seal = seal;
        this.clock = clock;
    }

    /**
     * @param id a credential
     * @return its username and password, if set (a stored row that does not verify counts as none)
     */
    public Optional<SignInSecret> find(CredentialId id) {
        SignInSecret set = fromSettings.get(id);
        if (set != null) {
            return Optional.of(set);
        }
        Optional<AccountSecret> row = rows().flatMap(rows -> rows.accountSecret(id, KIND));
        if (row.isEmpty()) {
            return Optional.empty();
        }
        try {
            SecretMaterial secret = seal.open(row.get());
            return Optional.of(new SignInSecret(secret.require("username"), secret.require("password")));
        } catch (UnsealException | IllegalArgumentException e) {
            Logger.warn("the sign-in details of {} are not used: {}", id, e.getMessage());
            return Optional.empty();
        }
    }

    /** @return the credentials with sign-in details, from the settings and stored */
    public Set<CredentialId> accounts() {
        Set<CredentialId> all = new TreeSet<>((a, b) -> a.toString().compareTo(b.toString()));
        all.addAll(fromSettings.keySet());
        rows().ifPresent(rows -> rows.accountSecrets().stream().filter(row -> row.kind().equals(KIND))
                .forEach(row -> all.add(row.credential())));
        return all;
    }

    /**
     * Stores a credential's username and password, sealed, replacing earlier ones.
     *
     * @param id     the credential
     * @param secret its username and password
     * @throws IllegalStateException when the store keeps no account secrets (the message names it)
     */
    public void store(CredentialId id, SignInSecret secret) {
        AccountSecrets rows = rows().orElseThrow(() -> new IllegalStateException("the " + store.id()
                + " store keeps no account secrets: use the settings "
                + SignInSettings.usernameSetting(id.provider()) + " and " + SignInSettings.passwordSetting(id.provider())
                + " (default account only), or a store that does (sqlite, postgres)"));
        Map<String, String> fields = new HashMap<>();
        fields.put("username", secret.username());
        fields.put("password", secret.password());
        rows.putAccountSecret(seal.seal(id, KIND, lookupHash(id), new SecretMaterial(fields), clock.instant()));
    }

    /**
     * @param id a credential
     * @return false when it had no stored sign-in details
     */
    public boolean remove(CredentialId id) {
        return rows().map(rows -> rows.deleteAccountSecret(id, KIND)).orElse(false);
    }

    /** @return whether the settings give this credential's details (they win over stored ones) */
    public boolean fromSettings(CredentialId id) {
        return fromSettings.containsKey(id);
    }

    private Optional<AccountSecrets> rows() {
        return store.capability(AccountSecrets.class);
    }

    /** The rows are found by credential and kind; the hash only has to be unique per kind. */
    private static String lookupHash(CredentialId id) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((KIND + " " + id).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

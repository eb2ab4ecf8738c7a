package dev.tokenkeeper.daemon.cookiecloud;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.daemon.access.ConsumerTokens;
import dev.tokenkeeper.daemon.crypto.AccountSecretSeal;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import org.tinylog.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The links of CookieCloud browser extensions to accounts: per credential, the extension's uuid and
 * password (sealed with the master key, the row tagged by the daemon: {@link AccountSecretSeal}) and
 * the hash of an importer token that may only import that account (the row's lookup hash). The token
 * itself is shown once, at {@link #link}.
 */
public final class CookieCloudLinks {

    /** The kind of the account secrets that hold links. */
    public static final String KIND = "cookiecloud";

    private static final Pattern UUID = Pattern.compile("[\\x21-\\x7e]{1,128}");
    private static final int MOST_PASSWORD_CHARACTERS = 256;

    /**
     * An opened link.
     *
     * @param credential the account it imports into
     * @param uuid       the extension's uuid
     * @param password   the extension's end-to-end password
     * @param createdAt  when it was made
     */
    public record Link(CredentialId credential, String uuid, String password, Instant createdAt) {
        /** @return the credential only, never the uuid or the password */
        @Override
        public String toString() {
            return "Link[" + credential + ", hidden]";
        }
    }

    /**
     * What {@code cookiecloud list} shows: no secret.
     *
     * @param credential    the account
     * @param createdAt     when the link was made
     * @param authenticated false for a row written without the master key (it grants nothing)
     */
    public record Listed(CredentialId credential, Instant createdAt, boolean authenticated) {
    }

    private final TokenStore store;
    private final AccountSecretSeal seal;
    private final Function<CredentialId, TokenProvider> providers;
    private final Clock clock;

    /**
     * @param store     where links are kept (a store without {@link AccountSecrets} keeps none)
     * @param seal      seals and authenticates them
     * @param providers the provider of a credential
     * @param clock     for the created-at
     */
    public CookieCloudLinks(TokenStore store, AccountSecretSeal seal, Function<CredentialId, TokenProvider> providers,
                            Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.seal = Objects.requireNonNull(seal, "seal");
        this.providers = Objects.requireNonNull(providers, "providers");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** @return the store links are kept in */
    public TokenStore store() {
        return store;
    }

    /**
     * @param store a store
     * @return why it keeps no links, or empty when it does
     */
    public static Optional<String> unsupported(TokenStore store) {
        return store.capability(AccountSecrets.class).isPresent() ? Optional.empty()
                : Optional.of("the " + store.id() + " store keeps no account secrets, so no CookieCloud link:"
                + " use the sqlite or postgres store (TOKENKEEPER_STORE) to link a browser");
    }

    /**
     * Links (or links again, replacing the earlier link and its token) an account to an extension.
     *
     * @param credential the account; it need not exist yet (the first upload imports it)
     * @param uuid       the extension's uuid
     * @param password   the extension's password
     * @return the importer token, which exists nowhere else afterwards
     * @throws IllegalArgumentException when a value is refused or the provider takes no browser cookies
     */
    public String link(CredentialId credential, String uuid, String password) {
        if (uuid == null || !UUID.matcher(uuid).matches()) {
            throw new IllegalArgumentException("the uuid is 1 to 128 printable characters without spaces: copy it from"
                    + " the extension's settings");
        }
        if (password == null || password.isEmpty() || password.length() > MOST_PASSWORD_CHARACTERS) {
            throw new IllegalArgumentException("the password is 1 to " + MOST_PASSWORD_CHARACTERS + " characters: copy"
                    + " the end-to-end password from the extension's settings");
        }
        if (providers.apply(credential).cookieDomains().isEmpty()) {
            throw new IllegalArgumentException("provider " + credential.provider() + " takes no browser cookies: a"
                    + " CookieCloud link is only for providers whose sessions are cookies (tokenkeeper providers)");
        }
        AccountSecrets rows = rows();
        for (int attempt = 0; attempt < 3; attempt++) {
            String token = ConsumerTokens.generate();
            AccountSecret row = seal.seal(credential, KIND, ConsumerTokens.hash(token),
                    new SecretMaterial(Map.of("uuid", uuid, "password", password)), clock.instant());
            if (rows.putAccountSecret(row)) {
                Logger.info("cookiecloud: {} linked to a browser extension", credential);
                return token;
            }
        }
        throw new IllegalStateException("could not store the CookieCloud link of " + credential + ": try again");
    }

    /** @return every link, without secrets */
    public List<Listed> list() {
        return store.capability(AccountSecrets.class).map(AccountSecrets::accountSecrets).orElse(List.of()).stream()
                .filter(row -> row.kind().equals(KIND))
                .map(row -> new Listed(row.credential(), row.createdAt(), seal.check(row).valid())).toList();
    }

    /**
     * @param credential an account
     * @return whether it has a link
     */
    public boolean linked(CredentialId credential) {
        return store.capability(AccountSecrets.class).flatMap(rows -> rows.accountSecret(credential, KIND)).isPresent();
    }

    /**
     * @param credential an account
     * @return false when it had no link; its token stops working at once
     */
    public boolean unlink(CredentialId credential) {
        boolean deleted = store.capability(AccountSecrets.class).map(rows -> rows.deleteAccountSecret(credential, KIND))
                .orElse(false);
        if (deleted) {
            Logger.info("cookiecloud: {} unlinked", credential);
        }
        return deleted;
    }

    /**
     * @param presented an importer token
     * @return its link, when the token is one and the row is authenticated and opens
     */
    public Optional<Link> byToken(String presented) {
        if (!presented.startsWith(ConsumerTokens.PREFIX) || presented.length() > 200) {
            return Optional.empty();
        }
        Optional<AccountSecret> row = store.capability(AccountSecrets.class)
                .flatMap(rows -> rows.accountSecretByLookupHash(KIND, ConsumerTokens.hash(presented)));
        if (row.isEmpty()) {
            return Optional.empty();
        }
        try {
            SecretMaterial secret = seal.open(row.get());
            return Optional.of(new Link(row.get().credential(), secret.require("uuid"), secret.require("password"),
                    row.get().createdAt()));
        } catch (UnsealException | IllegalStateException e) {
            Logger.warn("cookiecloud: the link of {} is refused: {}", row.get().credential(), e.getMessage());
            return Optional.empty();
        }
    }

    private AccountSecrets rows() {
        return store.capability(AccountSecrets.class).orElseThrow(() -> new IllegalArgumentException(
                unsupported(store).orElseThrow()));
    }
}

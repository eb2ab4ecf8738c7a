package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.daemon.cookiecloud.CookieCloudLinks;
import dev.tokenkeeper.daemon.crypto.AccountSecretSeal;
import java.util.Comparator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.SetupScript;
import dev.tokenkeeper.api.UpstreamEndpoint;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.InstalledService;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.KeyConfigurationException;
import dev.tokenkeeper.daemon.crypto.LoadedKey;
import dev.tokenkeeper.daemon.crypto.MasterKeyLoader;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.http.AdminToken;
import dev.tokenkeeper.daemon.log.Logging;
import dev.tokenkeeper.daemon.notify.Channel;
import dev.tokenkeeper.daemon.notify.Notifications;
import dev.tokenkeeper.daemon.notify.NotifySettings;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.PluginLoader;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.plugin.Renewal;
import dev.tokenkeeper.daemon.refresh.CredentialPages;
import dev.tokenkeeper.daemon.rekey.KeyRotation;
import dev.tokenkeeper.daemon.signin.SignInSecrets;
import dev.tokenkeeper.daemon.signin.SignInSetup;
import dev.tokenkeeper.daemon.socketclient.UnixHttpClient;
import dev.tokenkeeper.daemon.tls.TlsClient;
import dev.tokenkeeper.daemon.tls.TlsSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code tokenkeeper doctor}: checks an installation without the daemon, one line per check
 * ({@code ok}, {@code warn} or {@code FAIL}); exits 1 when a check fails. Never prints a secret.
 */
@Command(name = "doctor", description = "Check configuration, key, store, credentials, upstreams and the daemon; one line per check.")
final class DoctorCommand extends Subcommand implements Callable<Integer> {

    /** Exit code when a check failed. */
    static final int FAILED = 1;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    @Option(names = "--print-sql", paramLabel = "STORE", description = "print the SQL that creates STORE's tables, then exit")
    String printSql;

    private PrintWriter out;
    private boolean failed;
    /** The credentials with sign-in details in the store (their rows are checked when the daemon uses them). */
    private final List<CredentialId> storedSignIns = new ArrayList<>();

    @Override
    public Integer call() {
        out = out();
        Settings settings = common.settings();
        Map<String, String> logSettings = new HashMap<>(settings.asMap());
        // The check lines carry every message; library logs would only interleave with them.
        logSettings.putIfAbsent("TOKENKEEPER_LOG_LEVEL", "off");
        Logging.configure(logSettings);
        if (printSql != null) {
            return printSql(settings);
        }
        DaemonConfig config;
        try {
            config = DaemonConfig.from(settings);
        } catch (ConfigurationException | IllegalArgumentException e) {
            fail("configuration", e.getMessage());
            return FAILED;
        }
        ok("configuration", "state folder " + config.stateDirectory() + ", store " + config.storeId() + ", API "
                + config.listen().display());
        if (!config.listen().isLoopback() && TlsSettings.from(settings).isEmpty()) {
            warn("tls", "the API listens on " + config.listen().host() + " without TLS: bearer tokens cross the network"
                    + " in clear; set TOKENKEEPER_TLS_CERT_FILE and TOKENKEEPER_TLS_KEY_FILE (see docs/consumers.md, Consumers on other hosts)");
        }
        Path state = config.stateDirectory();
        boolean stateExists = checkStateFolder(state);
        LoadedKey key = stateExists || hasConfiguredKey(config) ? checkKey(config, state) : null;
        if (key == null && !stateExists && !hasConfiguredKey(config)) {
            warn("master key", "none yet: the daemon generates " + state.resolve(MasterKeyLoader.GENERATED_KEY_FILE)
                    + " on its first start");
        }
        checkAdminToken(config);
        Plugins plugins = checkPlugins(config);
        List<CredentialId> credentials = stateExists ? checkStore(config, plugins, key) : List.of();
        checkUpstreams(config, plugins, credentials);
        checkSignIn(settings, plugins, credentials);
        checkNotifications(settings);
        EnvironmentFileCheck.check(InstalledService.DEBIAN.environmentFile())
                .ifPresent(result -> line(result.status(), result.check(), result.detail()));
        checkDaemon(config);
        if (ServiceChecks.apply()) {
            ServiceChecks.run().forEach(result -> {
                failed |= "FAIL".equals(result.status());
                line(result.status(), result.check(), result.detail());
            });
        }
        return failed ? FAILED : 0;
    }

    private void checkNotifications(Settings settings) {
        try {
            List<String> channels = Notifications
                    .channels(NotifySettings.from(settings)).stream()
                    .map(Channel::describe).toList();
            if (channels.isEmpty()) {
                ok("notifications", "none configured (TOKENKEEPER_NOTIFY_URL, TOKENKEEPER_NOTIFY_COMMAND)");
            } else {
                channels.forEach(channel -> ok("notifications", channel + " (try it: tokenkeeper notify test)"));
            }
        } catch (ConfigurationException e) {
            fail("notifications", e.getMessage());
        }
        settings.get("TOKENKEEPER_SINK_DIR").ifPresent(dir -> {
            Path sink = Path.of(dir);
            if (Files.isDirectory(sink) && !Files.isWritable(sink)) {
                fail("file sink", sink + " is not writable by this user: fix its owner");
            } else {
                ok("file sink", sink + (Files.isDirectory(sink) ? "" : " (created at the daemon's start)")
                        + settings.get("TOKENKEEPER_SINK_GROUP").map(group -> ", group " + group + " (files 0640)")
                        .orElse(" (files 0600)"));
            }
        });
    }

    private int printSql(Settings settings) {
        DaemonConfig config = DaemonConfig.from(settings);
        Discovered<TokenStore> store = PluginLoader.load(config.pluginDirectory()).stores().get(printSql);
        if (store == null) {
            throw new ConfigurationException("no store '" + printSql + "' is installed: installed are "
                    + PluginLoader.load(config.pluginDirectory()).stores().keySet());
        }
        store.plugin().capability(SetupScript.class).map(SetupScript::setupSql).ifPresentOrElse(out::println, () -> out.println("-- the " + printSql
                + " store creates and migrates its own schema: there is no SQL to run"));
        return 0;
    }

    private boolean checkStateFolder(Path state) {
        if (!Files.exists(state)) {
            warn("state folder", state + " does not exist yet: the daemon creates it (mode 0700) on its first start");
            return false;
        }
        if (!Files.isDirectory(state) || !Files.isWritable(state)) {
            fail("state folder", state + " is not a writable folder: fix its owner or set TOKENKEEPER_STATE_DIR");
            return false;
        }
        Set<PosixFilePermission> open = othersBits(state);
        if (!open.isEmpty()) {
            warn("state folder", state + " is writable; group or others may enter it (" + open.size()
                    + " permission bits): chmod 700 " + state);
        } else {
            ok("state folder", state + " is writable and private");
        }
        return true;
    }

    private static boolean hasConfiguredKey(DaemonConfig config) {
        Settings s = config.settings();
        return s.get(MasterKeyLoader.MASTER_KEY_FILE).isPresent() || s.get(MasterKeyLoader.MASTER_KEY).isPresent()
                || s.get(MasterKeyLoader.PASSPHRASE).isPresent()
                || s.get(MasterKeyLoader.CREDENTIALS_DIRECTORY).map(dir -> Files.exists(Path.of(dir.strip())
                        .resolve(MasterKeyLoader.CREDENTIAL_NAME))).orElse(false);
    }

    private LoadedKey checkKey(DaemonConfig config, Path state) {
        Settings s = config.settings();
        if (!hasConfiguredKey(config) && !Files.exists(state.resolve(MasterKeyLoader.GENERATED_KEY_FILE))) {
            warn("master key", "none yet: the daemon generates " + state.resolve(MasterKeyLoader.GENERATED_KEY_FILE)
                    + " on its first start");
            return null;
        }
        if (s.get(MasterKeyLoader.MASTER_KEY_FILE).isEmpty() && s.get(MasterKeyLoader.MASTER_KEY).isEmpty()
                && s.get(MasterKeyLoader.PASSPHRASE).isPresent() && s.get(MasterKeyLoader.KDF_SALT).isEmpty()
                && !Files.exists(state.resolve(MasterKeyLoader.SALT_FILE))) {
            warn("master key", "passphrase set but no KDF salt yet: the daemon generates "
                    + state.resolve(MasterKeyLoader.SALT_FILE) + " on its first start");
            return null;
        }
        try {
            LoadedKey key = MasterKeyLoader.load(s::get, state);
            int retired = key.keyring().ids().size() - 1;
            ok("master key", "key " + key.keyring().current().id() + " from " + key.source());
            if (retired > 0) {
                warn("retired keys", retired + " retired key(s) still readable in "
                        + state.resolve(MasterKeyLoader.RETIRED_KEYS_FOLDER) + ": rows sealed with them (a leaked key,"
                        + " an old backup) still open; run `tokenkeeper rekey --finish` to destroy them");
            }
            Path pending = state.resolve(MasterKeyLoader.RETIRED_KEYS_FOLDER).resolve(KeyRotation.PENDING_FILE);
            if (Files.exists(pending)) {
                warn("rekey", "an earlier `tokenkeeper rekey` did not finish: run it again to re-seal the rest");
            }
            return key;
        } catch (KeyConfigurationException e) {
            fail("master key", e.getMessage());
            return null;
        }
    }

    private void checkAdminToken(DaemonConfig config) {
        Path file = config.adminTokenFile();
        if (!Files.exists(file)) {
            warn("admin token", file + " does not exist yet: the daemon generates it on its first start");
            return;
        }
        try {
            AdminToken.read(file);
            ok("admin token", file + " is private");
        } catch (ConfigurationException e) {
            fail("admin token", e.getMessage());
        }
    }

    private Plugins checkPlugins(DaemonConfig config) {
        Plugins plugins;
        try {
            plugins = PluginLoader.load(config.pluginDirectory());
        } catch (ConfigurationException refused) {
            fail("plugins", refused.getMessage());
            // The remaining checks go on with the bundled providers and stores only.
            return PluginLoader.load(Optional.empty());
        }
        ok("plugins", plugins.providers().size() + " provider(s) " + plugins.providers().keySet() + ", "
                + plugins.stores().size() + " store(s) " + plugins.stores().keySet()
                + config.pluginDirectory().map(dir -> " (plugins folder " + dir + ")").orElse(""));
        plugins.problems().forEach(problem -> warn("plugins", "skipped " + problem.jar() + ": " + problem.reason()));
        return plugins;
    }

    /**
     * @param store an opened store
     * @return for a store that several daemons share (it announces changes) without a due queue of its
     *         own, what that costs and what to use instead; empty otherwise
     */
    static Optional<String> dueQueueAdvice(TokenStore store) {
        if (store.capability(ChangeFeed.class).isEmpty() || store.capability(DueWork.class).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(store.id() + " has no due queue: each daemon plans every credential in its own memory"
                + " (a full read at start), so it suits a few daemons and a modest number of credentials; for several"
                + " daemons at scale use TOKENKEEPER_STORE=postgres");
    }

    /**
     * Opens the store and checks every credential, walking the store a page at a time (issue 26: no
     * read of the whole table); only the ids are kept, for the checks after it.
     */
    private List<CredentialId> checkStore(DaemonConfig config, Plugins plugins, LoadedKey key) {
        Discovered<TokenStore> found = plugins.stores().get(config.storeId());
        if (found == null) {
            fail("store", "TOKENKEEPER_STORE=" + config.storeId() + " is not installed: installed stores are "
                    + plugins.stores().keySet());
            return List.of();
        }
        if (System.getProperty("org.sqlite.tmpdir") == null) {
            System.setProperty("org.sqlite.tmpdir", config.stateDirectory().toString());
        }
        TokenStore store = found.plugin();
        List<CredentialId> credentials = new ArrayList<>();
        Optional<List<AccountSecret>> accountSecrets;
        CredentialPages pages = new CredentialPages(store, CredentialPages.PAGE);
        try {
            store.open(new DaemonPluginContext(config.settings(), config.stateDirectory(), Clock.systemUTC()));
        } catch (RuntimeException e) {
            fail("store", config.storeId() + " cannot be opened: " + message(e));
            return List.of();
        }
        try {
            pages.forEach(credential -> credentials.add(credential.id()));
            accountSecrets = store.capability(AccountSecrets.class).map(AccountSecrets::accountSecrets);
            ok("store", config.storeId() + " opens; " + credentials.size() + " credential(s)");
            dueQueueAdvice(store).ifPresent(advice -> warn("store", advice));
            store.capability(AccountSecrets.class).ifPresent(rows -> rows.accountSecrets().stream()
                    .filter(row -> row.kind().equals(SignInSecrets.KIND)).forEach(row -> storedSignIns.add(row.credential())));
            checkCredentials(pages, credentials.size(), key, plugins);
        } catch (RuntimeException e) {
            fail("store", config.storeId() + " opened but cannot be read: " + message(e));
            return List.of();
        } finally {
            try {
                store.close();
            } catch (RuntimeException ignored) {
                // Closing after a failed read: nothing more to report.
            }
        }
        checkCookieCloud(config.storeId(), credentials, accountSecrets, key, plugins);
        return credentials;
    }

    /**
     * Says, for each credential of a provider that takes browser cookies, whether a CookieCloud
     * extension is linked to it (and for each link whose credential the first upload will create).
     */
    private void checkCookieCloud(String storeId, List<CredentialId> credentials,
                                  Optional<List<AccountSecret>> accountSecrets, LoadedKey key, Plugins plugins) {
        Set<CredentialId> ids = new TreeSet<>(Comparator.comparing(CredentialId::toString));
        credentials.stream()
                .filter(id -> plugins.provider(id.provider()).map(p -> !p.cookieDomains().isEmpty()).orElse(false))
                .forEach(ids::add);
        if (accountSecrets.isEmpty()) {
            if (!ids.isEmpty()) {
                warn("cookiecloud", "not available: the " + storeId + " store keeps no account secrets (use sqlite or"
                        + " postgres to link a CookieCloud extension)");
            }
            return;
        }
        Map<CredentialId, AccountSecret> links = new HashMap<>();
        accountSecrets.get().stream().filter(row -> row.kind().equals(CookieCloudLinks.KIND))
                .forEach(row -> links.put(row.credential(), row));
        ids.addAll(links.keySet());
        AccountSecretSeal seal = key == null ? null : new AccountSecretSeal(new SecretSealer(key.keyring()));
        for (CredentialId id : ids) {
            AccountSecret link = links.get(id);
            if (link == null) {
                ok("credential " + id, "cookiecloud not set up (optional): `tokenkeeper cookiecloud link " + id + " --uuid <uuid>`"
                        + " takes the session from a browser's CookieCloud extension");
            } else if (seal != null && !seal.check(link).valid()) {
                fail("credential " + id, "cookiecloud link not authenticated by this daemon's keys (written without the"
                        + " master key): it imports nothing; `tokenkeeper cookiecloud unlink " + id + "`, then link again");
            } else {
                ok("credential " + id, "cookiecloud set up: linked " + link.createdAt() + (credentials.contains(id) ? "" : "; no credential yet, the first upload imports it"));
            }
        }
    }

    /** Opens every credential (a second walk of the store's pages, after the store's line). */
    private void checkCredentials(CredentialPages pages, int count, LoadedKey key, Plugins plugins) {
        if (count == 0) {
            return;
        }
        if (key == null) {
            warn("credentials", "not decrypted: no usable master key");
            return;
        }
        SecretSealer sealer = new SecretSealer(key.keyring());
        int[] opened = new int[1];
        int[] onOlderKey = new int[1];
        pages.forEach(credential -> {
            try {
                SecretMaterial secret = sealer.open(credential.id(), credential.secret());
                opened[0]++;
                checkUntilExpiry(credential, secret, plugins);
                if (!sealer.isSealedWithCurrentKey(credential.secret())) {
                    onOlderKey[0]++;
                }
            } catch (UnsealException e) {
                fail("credential " + credential.id(), e.getMessage());
            }
            if (credential.status() == CredentialStatus.REQUIRES_CONFIGURATION
                    || credential.status() == CredentialStatus.ERROR) {
                warn("credential " + credential.id(), credential.status().wireName()
                        + credential.lastError().map(error -> ": " + error).orElse(""));
            }
        });
        if (opened[0] > 0) {
            ok("credentials", opened[0] + " of " + count + " decrypt"
                    + (onOlderKey[0] > 0 ? "; " + onOlderKey[0] + " still sealed with a retired key (`tokenkeeper rekey"
                    + " --reseal-only` moves them to the current key)" : ""));
        }
    }

    /** Says which credentials are an access token alone (no refresh token), and until when they work. */
    private void checkUntilExpiry(StoredCredential credential, SecretMaterial secret, Plugins plugins) {
        Optional<TokenProvider> provider = plugins.provider(credential.id().provider());
        try {
            if (provider.isEmpty() || !(provider.get().refreshability(secret) instanceof Refreshability.UntilExpiry)) {
                return;
            }
        } catch (RuntimeException e) {
            return;
        }
        Optional<Instant> end = credential.refreshExpiresAt().or(credential::accessExpiresAt);
        String detail = "access token only (no refresh token): served until " + end.map(Instant::toString).orElse("the"
                + " upstream rejects it") + "; import again before then: "
                + Renewal.untilExpiryCommand(credential.id(), provider.get().importForms());
        if (end.map(at -> at.isBefore(Clock.systemUTC().instant().plus(Duration.ofDays(7)))).orElse(false)) {
            warn("credential " + credential.id(), detail);
        } else {
            ok("credential " + credential.id(), detail);
        }
    }

    /**
     * Every provider that has credentials names its upstreams through the SPI
     * ({@link TokenProvider#upstreams()}), bundled or plugin alike.
     */
    private void checkUpstreams(DaemonConfig config, Plugins plugins, List<CredentialId> credentials) {
        Set<String> providers = new TreeSet<>();
        credentials.forEach(id -> providers.add(id.provider()));
        for (String provider : providers) {
            Discovered<TokenProvider> found = plugins.providers().get(provider);
            if (found == null) {
                fail("upstream " + provider, "no provider '" + provider + "' is installed: put its jar into the"
                        + " plugins folder or delete its credentials");
                continue;
            }
            List<UpstreamEndpoint> endpoints;
            try {
                found.plugin().configure(new DaemonPluginContext(config.settings(), config.stateDirectory(),
                        Clock.systemUTC()));
                endpoints = found.plugin().upstreams();
            } catch (RuntimeException e) {
                fail("upstream " + provider, "the provider cannot be configured: " + message(e));
                continue;
            }
            if (endpoints == null || endpoints.isEmpty()) {
                warn("upstream " + provider, "not checked: the provider names no upstream endpoint"
                        + " (TokenProvider.upstreams())");
                continue;
            }
            endpoints.forEach(endpoint -> reach(provider, endpoint.setting(), endpoint.uri()));
        }
    }

    /** Per credential, whether the daemon can sign in again by itself when the session is gone. */
    private void checkSignIn(Settings settings, Plugins plugins, List<CredentialId> credentials) {
        Map<String, TokenProvider> providers = new HashMap<>();
        plugins.providers().forEach((id, found) -> providers.put(id, found.plugin()));
        for (SignInSetup.Line line : SignInSetup.describe(settings, providers,
                credentials, storedSignIns)) {
            String check = line.credential().isEmpty() ? "sign-in" : "credential " + line.credential();
            if (line.ok()) {
                ok(check, line.detail());
            } else if (line.credential().isEmpty()) {
                fail(check, line.detail());
            } else {
                warn(check, line.detail());
            }
        }
    }

    private void reach(String provider, String setting, URI uri) {
        String host = uri.getHost();
        if (host == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            fail("upstream " + provider, setting + "=" + uri + " is not an http(s) URL: fix the setting");
            return;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
            ok("upstream " + provider, host + ":" + port + " reachable (" + setting + ")");
        } catch (IOException e) {
            fail("upstream " + provider, "cannot connect to " + host + ":" + port + " (" + setting + ", "
                    + e.getClass().getSimpleName() + "): check the network, a proxy or firewall, or the setting");
        }
    }

    private void checkDaemon(DaemonConfig config) {
        var trusted = TlsClient.trusted(config.settings());
        String base = trusted.isPresent() ? config.listen().baseUrl().replaceFirst("^http:", "https:") : config.listen().baseUrl();
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        HttpClient http = trusted.map(file -> TlsClient.trusting(builder, file)).orElse(builder).build();
        if (config.listen().unixSocket().isPresent()) {
            base = config.listen().display();
            try {
                int status = new UnixHttpClient(config.listen().unixSocket().get(), CONNECT_TIMEOUT)
                        .send("GET", "/healthz", Map.of(), null).status();
                if (status != 200) {
                    fail("daemon", base + " answered /healthz with HTTP " + status + ": is something else listening there?");
                    return;
                }
            } catch (IOException e) {
                warn("daemon", "not running at " + base + ": start it with `tokenkeeper run` or `systemctl start tokenkeeper`");
                return;
            }
        } else try {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz"))
                    .timeout(CONNECT_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            if (health.statusCode() != 200) {
                fail("daemon", base + "/healthz answered HTTP " + health.statusCode() + ": is something else listening there?");
                return;
            }
        } catch (IOException e) {
            warn("daemon", "not running at " + base + ": start it with `tokenkeeper run` or `systemctl start tokenkeeper`");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        ok("daemon", "running at " + base);
        try {
            ApiClient.Answer answer = new ApiClient(config).get("/api/v1/scheduler");
            if (!answer.ok()) {
                warn("scheduler", "state unknown: " + answer.errorMessage());
                return;
            }
            JsonNode s = answer.body();
            if (s.path("isActive").asBoolean()) {
                ok("scheduler", "active, validation every " + s.path("intervalMinutes").asText() + " min");
            } else {
                warn("scheduler", "stopped: nothing is refreshed on time; start it with `tokenkeeper scheduler start`");
            }
        } catch (RuntimeException e) {
            warn("scheduler", "state unknown: " + message(e));
        }
        checkAdminReads(config);
    }

    /** Programs reading tokens with the admin token should have consumer tokens of their own. */
    private void checkAdminReads(DaemonConfig config) {
        try {
            new ApiClient(config).text("/metrics").flatMap(DoctorCommand::adminReads).ifPresent(reads -> {
                if (reads >= ADMIN_READS_WARNING) {
                    warn("admin token", "used for " + reads + " token reads since the daemon started: give each program"
                            + " its own token (`tokenkeeper consumer add <name> --credential <id>`) and keep the admin"
                            + " token for administration");
                } else {
                    ok("admin token", reads + " token reads with it since the daemon started");
                }
            });
        } catch (RuntimeException e) {
            warn("admin token", "token reads unknown: " + message(e));
        }
    }

    /** More token reads with the admin token than a person makes by hand. */
    static final long ADMIN_READS_WARNING = 20;

    static Optional<Long> adminReads(String metrics) {
        return metrics.lines().filter(line -> line.startsWith("tokenkeeper_token_reads_total{consumer=\"admin\"}"))
                .findFirst().map(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
    }

    private static Set<PosixFilePermission> othersBits(Path path) {
        try {
            Set<PosixFilePermission> bits = new HashSet<>(Files.getPosixFilePermissions(path));
            bits.removeAll(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
            return bits;
        } catch (IOException | UnsupportedOperationException e) {
            return Set.of();
        }
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Keeps a check on one line whatever the message holds. */
    private static String flat(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }

    private void ok(String check, String detail) {
        line("ok", check, detail);
    }

    private void warn(String check, String detail) {
        line("warn", check, detail);
    }

    private void fail(String check, String detail) {
        failed = true;
        line("FAIL", check, detail);
    }

    private void line(String status, String check, String detail) {
        out.printf("%-4s %s: %s%n", status, check, detail == null ? "" : flat(detail));
        out.flush();
    }
}

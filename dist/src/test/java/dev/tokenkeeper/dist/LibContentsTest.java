package dev.tokenkeeper.dist;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * lib/ holds only what the daemon loads, or what a module it loads requires (the launcher puts every
 * jar on the module path with ALL-MODULE-PATH, so a required module that is missing stops the start).
 * Each jar is listed here with the reason it is there: a new transitive dependency fails this test
 * until someone decides whether the daemon needs it (or excludes it in daemon/pom.xml).
 */
class LibContentsTest {

    /** Why a jar that only the module path's resolution needs is kept (the launcher's start with plugin jars). */
    private static final String MODULE_PATH_ONLY =
            "; resolved when the daemon starts on the module path (with plugins), not loaded on the class path";

    /** Artifact (file name without version) and why it ships. */
    static final Map<String, String> KEPT = new TreeMap<>(Map.ofEntries(
            // tokenkeeper's own modules
            Map.entry("api", "the plugin SPI every provider and store module requires"),
            Map.entry("daemon", "the daemon and CLI (the launcher's main class; its main module on the module path)"),
            Map.entry("provider-gazelle", "bundled provider, found with ServiceLoader"),
            Map.entry("provider-vinted", "bundled provider, found with ServiceLoader"),
            Map.entry("store-sqlite", "the default store"),
            Map.entry("store-postgres", "TOKENKEEPER_STORE=postgres"),
            Map.entry("store-supabase", "TOKENKEEPER_STORE=supabase"),
            Map.entry("store-jdbc", "the jdbi code the SQLite and PostgreSQL stores share"),
            // HTTP: control API, console, Unix socket, TLS
            Map.entry("javalin", "the HTTP API and the web console"),
            Map.entry("kotlin-stdlib", "Javalin is partly Kotlin: its module requires kotlin.stdlib, loaded at every start"),
            Map.entry("jetty-server", "Javalin's HTTP server (also TLS)"),
            Map.entry("jetty-http", "required by jetty-server"),
            Map.entry("jetty-io", "required by jetty-server; the slow-client guard watches its connections"),
            Map.entry("jetty-util", "required by jetty-server; its SslContextFactory serves TLS"),
            Map.entry("jetty-unixdomain-server", "TOKENKEEPER_LISTEN=unix:<path>"),
            Map.entry("jetty-ee10-servlet", "Javalin runs its handlers as a Jetty servlet"),
            Map.entry("jakarta.servlet-api", "the servlet API Javalin's Context wraps"),
            Map.entry("jetty-security", "required by jetty-ee10-servlet's module; loaded at start"),
            Map.entry("jetty-session", "required by jetty-ee10-servlet's module; loaded at start"),
            Map.entry("jetty-ee10-websocket-jetty-server", "required by Javalin's module; Javalin installs its"
                    + " websocket upgrade filter at start"),
            Map.entry("jetty-websocket-jetty-api", "required by Javalin's module; loaded at start"),
            Map.entry("jetty-websocket-jetty-common", "required by jetty-ee10-websocket-jetty-server; loaded at start"),
            Map.entry("jetty-websocket-core-common", "required by Javalin's module; loaded at start"),
            Map.entry("jetty-websocket-core-server", "required by jetty-ee10-websocket-jetty-server's module"),
            Map.entry("jetty-websocket-jetty-server", "required by jetty-ee10-websocket-jetty-server's module"),
            Map.entry("jetty-ee10-websocket-servlet", "required by jetty-ee10-websocket-jetty-server's module" + MODULE_PATH_ONLY),
            Map.entry("jetty-ee10-webapp", "required by jetty-ee10-websocket-jetty-server's module" + MODULE_PATH_ONLY),
            Map.entry("jetty-ee-webapp", "required by jetty-ee10-webapp's module" + MODULE_PATH_ONLY),
            Map.entry("jetty-xml", "required by jetty-ee10-webapp's module" + MODULE_PATH_ONLY),
            // the Gazelle provider's upstream calls
            Map.entry("httpcore5", "the Gazelle provider's HTTP/1.1 connections (an exchange on the refresh worker's"
                    + " thread: a fraction of the CPU of the JDK client's, measured in a due storm)"),
            // logging
            Map.entry("slf4j-api", "the logging API of Javalin, Jetty, Quartz, jdbi and HikariCP"),
            Map.entry("slf4j-tinylog", "sends their SLF4J logging to tinylog"),
            Map.entry("tinylog-api", "the daemon's logging"),
            Map.entry("tinylog-impl", "the daemon's log writers (console, journald priority prefix)"),
            // scheduling, storage
            Map.entry("quartz", "the refresh scheduler"),
            Map.entry("jdbi3-core", "SQL of the SQLite and PostgreSQL stores"),
            Map.entry("geantyref", "required by jdbi and the JDBC stores"),
            Map.entry("sqlite-jdbc", "the SQLite driver (with its native library)"),
            Map.entry("postgresql", "the PostgreSQL driver (store-postgres)"),
            Map.entry("HikariCP", "store-postgres's connection pool"),
            // crypto
            Map.entry("bcprov-jdk18on", "sealing (AES-GCM, HKDF), the Argon2id passphrase KDF"),
            Map.entry("bcpkix-jdk18on", "PEM keys for TLS (PKCS#1, PKCS#8, SEC1), which the JDK cannot read"),
            Map.entry("bcutil-jdk18on", "required by bcpkix's module"),
            // JSON, CLI, systemd
            Map.entry("jackson-databind", "JSON of the API, the CLI and the providers"),
            Map.entry("jackson-core", "required by jackson-databind"),
            Map.entry("jackson-annotations", "required by jackson-databind"),
            Map.entry("jackson-datatype-jdk8", "Optional in API records"),
            Map.entry("jackson-datatype-jsr310", "Instant and Duration in API records"),
            Map.entry("picocli", "the command line"),
            Map.entry("jna", "sd_notify under systemd (JDK 17 cannot open a datagram Unix socket)"),
            // metrics
            Map.entry("micrometer-core", "the daemon's meters"),
            Map.entry("micrometer-commons", "required by micrometer-core"),
            Map.entry("micrometer-registry-prometheus", "GET /metrics"),
            Map.entry("prometheus-metrics-model", "the registry's snapshots"),
            Map.entry("prometheus-metrics-config", "the registry's properties"),
            Map.entry("prometheus-metrics-exposition-formats", "writes /metrics (content negotiation)"),
            Map.entry("prometheus-metrics-exposition-textformats", "the Prometheus text format of /metrics"),
            Map.entry("prometheus-metrics-core", "the Prometheus meters' exemplar sampler type (exemplars are off;"
                    + " the registry's meter classes link against it)"),
            Map.entry("prometheus-metrics-tracer-common", "the registry's span-context type (linked as above)")));

    private static final Pattern VERSIONED = Pattern.compile("(.+?)-\\d[\\w.]*(-SNAPSHOT)?\\.jar");

    @Test
    void libHoldsExactlyTheJarsWithAReasonToBeThere() throws IOException {
        Set<String> shipped;
        try (Stream<Path> files = Files.list(DaemonProcess.distribution().resolve("lib"))) {
            shipped = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
                    .map(LibContentsTest::artifact).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> unexplained = new TreeSet<>(shipped);
        unexplained.removeAll(KEPT.keySet());
        Set<String> missing = new TreeSet<>(KEPT.keySet());
        missing.removeAll(shipped);
        assertEquals(Set.of(), unexplained, "jars in lib/ that nothing here explains: does the daemon load them? If so,"
                + " add them to LibContentsTest.KEPT with the reason; if not, exclude them in daemon/pom.xml");
        assertEquals(Set.of(), missing, "jars LibContentsTest.KEPT lists that lib/ no longer holds: remove them there");
    }

    /**
     * The JDK finds its SunEC provider with a ServiceLoader that asks lib/'s modules first and builds
     * every java.security.Provider it meets: a module of lib/ providing one would be built (and thrown
     * away) at the first TLS set-up of every start (DropJcaProviders.java, run by the build, takes
     * BouncyCastle's out of bcprov's descriptor).
     */
    @Test
    void noModuleInLibProvidesAJcaProvider() {
        Set<String> providing = ModuleFinder.of(DaemonProcess.distribution().resolve("lib")).findAll().stream()
                .map(ModuleReference::descriptor)
                .filter(module -> module.provides().stream().anyMatch(p -> p.service().equals("java.security.Provider")))
                .map(ModuleDescriptor::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of(), providing, "modules in lib/ that provide java.security.Provider: name their jar in"
                + " dist/pom.xml's drop-jca-providers step, unless the daemon asks the JCA for that provider by name");
    }

    private static String artifact(String fileName) {
        Matcher m = VERSIONED.matcher(fileName);
        return m.matches() ? m.group(1) : fileName;
    }
}

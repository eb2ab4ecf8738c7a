package dev.tokenkeeper.daemon.tls;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.tinylog.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The control API's HTTPS-only listener: Jetty's own TLS ({@link SslContextFactory.Server}, the
 * JDK's protocols and ciphers, TLS 1.2 and later) with the key store read from the PEM files, and
 * re-read when either file changes (a renewed certificate is served without a restart). A changed pair
 * is taken only when the key is private to the daemon and belongs to the certificate; otherwise the
 * previous pair stays in service and the log says why at level error.
 */
public final class TlsConnector implements AutoCloseable {

    /** How often the files are looked at. */
    static final long CHECK_MILLIS = 1_000;

    private final TlsSettings files;
    private final SslContextFactory.Server ssl = new SslContextFactory.Server();
    private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "tls-file-watcher");
        thread.setDaemon(true);
        return thread;
    });
    private volatile List<Object> seen;
    private volatile List<Object> settling = List.of();

    /**
     * Reads the files once, so that a wrong one stops the start with a clear message; starts no thread
     * ({@link #start()} does).
     *
     * @param files the PEM files
     */
    public TlsConnector(TlsSettings files) {
        this.files = files;
        ssl.setKeyStore(PemFiles.keyStore(files.certFile(), files.keyFile()));
        ssl.setKeyStorePassword(new String(PemFiles.STORE_PASSWORD));
        ssl.setKeyManagerPassword(new String(PemFiles.STORE_PASSWORD));
        ssl.setExcludeProtocols("SSLv3", "TLSv1", "TLSv1.1");
        seen = stamp();
    }

    /** Starts looking at the files every {@value #CHECK_MILLIS} ms, until {@link #close()}. */
    public void start() {
        watcher.scheduleWithFixedDelay(this::reloadIfChanged, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * @param server the Jetty server
     * @param http   Javalin's HTTP configuration
     * @param host   the address to bind
     * @param port   the port (0: any)
     * @return an HTTPS connector, the only one the server gets
     */
    public ServerConnector connector(Server server, HttpConfiguration http, String host, int port) {
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // Clients reach the daemon by IP address as often as by name; the client checks the name.
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                new HttpConnectionFactory(https));
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    private List<Object> stamp() {
        try {
            // The key's mode and owner too: a `chmod 600` after a refused reload is a change to read.
            return List.of(Files.getLastModifiedTime(files.certFile()), Files.size(files.certFile()),
                    Files.getLastModifiedTime(files.keyFile()), Files.size(files.keyFile()),
                    Files.getPosixFilePermissions(files.keyFile()), Files.getOwner(files.keyFile()));
        } catch (IOException | UnsupportedOperationException e) {
            return List.of();
        }
    }

    private void reloadIfChanged() {
        List<Object> now = stamp();
        if (now.isEmpty() || now.equals(seen)) {
            return;
        }
        if (!now.equals(settling)) {
            // Certbot and most deploy scripts replace one file, then the other: read them once both
            // have stayed unchanged for one look, so a half-done renewal is not taken for a broken one.
            settling = now;
            return;
        }
        seen = now;
        try {
            var store = PemFiles.keyStore(files.certFile(), files.keyFile());
            ssl.reload(factory -> factory.setKeyStore(store));
            Logger.info("TLS: re-read {} and {}; new connections get the new certificate", files.certFile(), files.keyFile());
        } catch (Exception e) {
            Logger.error("TLS: the changed {} / {} were NOT taken, connections still get the previous certificate: {}."
                    + " Fix the files; they are read again when they change", files.certFile(), files.keyFile(),
                    e.getMessage());
        }
    }

    /** Stops looking at the files. */
    @Override
    public void close() {
        watcher.shutdownNow();
    }
}

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
 * re-read when either file changes (a renewed certificate is served without a restart).
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

    /**
     * Reads the files once, so that a wrong one stops the start with a clear message.
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
            return List.of(Files.getLastModifiedTime(files.certFile()), Files.size(files.certFile()),
                    Files.getLastModifiedTime(files.keyFile()), Files.size(files.keyFile()));
        } catch (IOException e) {
            return List.of();
        }
    }

    private void reloadIfChanged() {
        List<Object> now = stamp();
        if (now.isEmpty() || now.equals(seen)) {
            return;
        }
        try {
            var store = PemFiles.keyStore(files.certFile(), files.keyFile());
            ssl.reload(factory -> factory.setKeyStore(store));
            seen = now;
            Logger.info("TLS: re-read {} and {}; new connections get the new certificate", files.certFile(), files.keyFile());
        } catch (Exception e) {
            // Half-written files (certbot replaces one, then the other): try again at the next look.
            Logger.warn("TLS: cannot use the changed {} / {} yet ({}); still serving the previous certificate",
                    files.certFile(), files.keyFile(), e.getMessage());
            seen = now;
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}

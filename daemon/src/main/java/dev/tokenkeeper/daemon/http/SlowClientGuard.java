package dev.tokenkeeper.daemon.http;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.Scheduler;
import org.tinylog.Logger;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keeps slow or idle clients from holding the API: a connection that has not delivered a complete
 * request head within {@link #HEAD_DEADLINE} is closed, and at most {@link #MAX_CONNECTIONS} are
 * open at once; at the cap, idle connections are given {@link #IDLE_AT_CAP} before they are closed,
 * so {@code /healthz} and token reads get through again within seconds.
 */
final class SlowClientGuard {

    /** A local client sends its whole head at once; ten seconds covers a loaded machine. */
    static final Duration HEAD_DEADLINE = Duration.ofSeconds(10);
    /** Far above what consumers on one host need, far below the file-descriptor limit. */
    static final int MAX_CONNECTIONS = 1_000;
    /** The idle timeout of open connections while the cap is reached. */
    static final Duration IDLE_AT_CAP = Duration.ofSeconds(2);

    private SlowClientGuard() {
    }

    /**
     * @param server a started server
     */
    static void install(Server server) {
        Connector[] connectors = server.getConnectors();
        NetworkConnectionLimit limit = new NetworkConnectionLimit(MAX_CONNECTIONS, connectors);
        limit.setEndPointIdleTimeout(IDLE_AT_CAP.toMillis());
        server.addBean(limit, true);
        for (Connector connector : connectors) {
            Scheduler scheduler = connector.getScheduler();
            connector.addEventListener(new Connection.Listener() {
                @Override
                public void onOpened(Connection connection) {
                    scheduler.schedule(() -> closeIfHeadIncomplete(connection), HEAD_DEADLINE.toMillis(),
                            TimeUnit.MILLISECONDS);
                }
            });
        }
    }

    private static void closeIfHeadIncomplete(Connection connection) {
        // No request counted yet: the head has not arrived in full (or nothing at all was sent).
        if (connection.getEndPoint().isOpen() && connection.getMessagesIn() == 0) {
            Logger.debug("closed a connection from {} that sent no complete request head within {} s",
                    connection.getEndPoint().getRemoteSocketAddress(), HEAD_DEADLINE.toSeconds());
            connection.getEndPoint().close();
        }
    }
}

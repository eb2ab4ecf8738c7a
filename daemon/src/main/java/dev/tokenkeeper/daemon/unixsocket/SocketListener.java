package dev.tokenkeeper.daemon.unixsocket;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.folders.TrustedFolders;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The control API on a Unix domain socket ({@code TOKENKEEPER_LISTEN=unix:<path>}): only users the
 * file's mode lets in can connect. The folder must be changeable by nobody but root and the daemon's
 * user, or another user could bind the path while the daemon is stopped; the CLI still has the
 * daemon prove itself there (see ApiClient). The file is mode 0660 (owner and the daemon's
 * group, e.g. {@code tokenkeeper}), a stale file from a crashed run is replaced, and it is removed at
 * shutdown.
 */
public final class SocketListener {

    /** Owner and group may connect; connecting needs write permission on the socket file. */
    public static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-rw----");

    private SocketListener() {
    }

    /**
     * Makes the socket's folder (0750 when created here), checks that no user but root and the
     * daemon's own can change it ({@link TrustedFolders}), and removes a stale socket file.
     *
     * @param socket the socket file
     * @throws ConfigurationException when the folder may be changed by others, another process still
     *                                answers on the socket or the path is not a socket
     */
    public static void prepare(Path socket) {
        try {
            Path parent = socket.toAbsolutePath().getParent();
            if (!Files.isDirectory(parent)) {
                Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
            }
            TrustedFolders.folderProblem(parent, "socket folder", "whoever can change it can put a socket of their own at "
                    + socket + " while the daemon is stopped, to which the CLI would talk").ifPresent(problem -> {
                        throw new ConfigurationException("TOKENKEEPER_LISTEN=unix:" + socket + ": " + problem);
                    });
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                    throw new ConfigurationException("TOKENKEEPER_LISTEN=unix:" + socket + " names a file that is not a socket;"
                            + " remove it or choose another path");
                }
                if (answers(socket)) {
                    throw new ConfigurationException("another process already listens on unix:" + socket
                            + " (another tokenkeeper?); stop it or choose another path");
                }
                Files.delete(socket);
                Logger.info("replaced the stale socket file {}", socket);
            }
        } catch (IOException e) {
            throw new ConfigurationException("cannot prepare the socket unix:" + socket + ": " + e.getMessage());
        }
    }

    /**
     * @param server the Jetty server
     * @param http   the HTTP configuration Javalin built
     * @param socket the socket file
     * @return the connector
     */
    public static UnixDomainServerConnector connector(Server server, HttpConfiguration http, Path socket) {
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, new HttpConnectionFactory(http));
        connector.setUnixDomainPath(socket);
        return connector;
    }

    /**
     * Sets the socket file's mode once Jetty has bound it.
     *
     * @param socket the socket file
     */
    public static void restrict(Path socket) {
        try {
            Files.setPosixFilePermissions(socket, MODE);
        } catch (IOException e) {
            throw new ConfigurationException("cannot set mode 0660 on unix:" + socket + ": " + e.getMessage());
        }
    }

    /** @param socket the socket file to remove at shutdown */
    public static void remove(Path socket) {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            Logger.warn("could not remove the socket file {}: {}", socket, e.getMessage());
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // Connecting to a Unix socket does not wait on the network: it succeeds or is refused at once.
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

package dev.tokenkeeper.daemon.systemd;

import com.sun.jna.Library;

/** The three libc calls a datagram to systemd's notify socket needs (JDK 17 has no datagram Unix socket). */
public interface CLibrary extends Library {

    /**
     * @param domain   AF_UNIX
     * @param type     SOCK_DGRAM | SOCK_CLOEXEC
     * @param protocol 0
     * @return the descriptor, or -1
     */
    int socket(int domain, int type, int protocol);

    /**
     * @param fd      the socket
     * @param buffer  the message
     * @param length  its length
     * @param flags   MSG_NOSIGNAL
     * @param address a struct sockaddr_un
     * @param addressLength the used length of {@code address}
     * @return bytes sent, or -1
     */
    long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength);

    /**
     * @param fd the descriptor
     * @return 0, or -1
     */
    int close(int fd);
}

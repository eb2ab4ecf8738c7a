package dev.tokenkeeper.daemon.systemd;

import com.sun.jna.Native;
import org.tinylog.Logger;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@code sd_notify} over the datagram Unix socket named by {@code NOTIFY_SOCKET}, sent by the
 * JVM's own pid through libc (JNA), so the unit can keep {@code NotifyAccess=main}.
 */
final class NotifySocket implements ServiceNotifier {

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SUN_PATH_MAX = 108;

    private final String path;
    private CLibrary libc;
    private boolean warned;

    NotifySocket(String path) {
        this.path = path;
    }

    @Override
    public boolean active() {
        return true;
    }

    @Override
    public synchronized boolean send(String message) {
        byte[] address = address(path);
        if (address == null) {
            warnOnce("NOTIFY_SOCKET is not a usable socket path; systemd will not hear from the daemon");
            return false;
        }
        try {
            if (libc == null) {
                libc = Native.load("c", CLibrary.class);
            }
            int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                warnOnce("cannot open a socket to systemd (errno " + Native.getLastError() + ")");
                return false;
            }
            try {
                byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
                long sent = libc.sendto(fd, bytes, bytes.length, MSG_NOSIGNAL, address, address.length);
                if (sent != bytes.length) {
                    warnOnce("cannot notify systemd (errno " + Native.getLastError() + ")");
                    return false;
                }
                return true;
            } finally {
                libc.close(fd);
            }
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            warnOnce("cannot load libc through JNA to notify systemd: " + e.getMessage());
            return false;
        }
    }

    /** @return a struct sockaddr_un for the path ('@' = abstract namespace), or null when too long */
    static byte[] address(String path) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length >= SUN_PATH_MAX) {
            return null;
        }
        boolean abstractName = name[0] == '@';
        if (abstractName) {
            name[0] = 0;
        }
        // sa_family_t is a native-order short; a filesystem path is NUL-terminated, an abstract one is not.
        int length = 2 + name.length + (abstractName ? 0 : 1);
        byte[] address = new byte[length];
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            address[0] = AF_UNIX;
        } else {
            address[1] = AF_UNIX;
        }
        System.arraycopy(name, 0, address, 2, name.length);
        return address;
    }

    private void warnOnce(String text) {
        if (!warned) {
            warned = true;
            Logger.warn(text);
        }
    }

    @Override
    public String toString() {
        return "NotifySocket[" + path + "]";
    }
}

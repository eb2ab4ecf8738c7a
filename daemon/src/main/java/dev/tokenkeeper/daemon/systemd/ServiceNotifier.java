package dev.tokenkeeper.daemon.systemd;

import java.util.Map;
import java.util.Optional;

/**
 * Tells the service manager how the daemon is doing ({@code sd_notify}): {@code READY=1},
 * {@code WATCHDOG=1}, {@code STOPPING=1}. Without {@code NOTIFY_SOCKET} (not under systemd, or
 * {@code Type=exec}) every message is dropped.
 */
public sealed interface ServiceNotifier permits ServiceNotifier.Silent, NotifySocket {

    /**
     * @param message one or more {@code NAME=value} lines
     * @return true when the message was sent
     */
    boolean send(String message);

    /** @return true when messages go somewhere */
    boolean active();

    /**
     * @param environment the process environment
     * @return a notifier on {@code NOTIFY_SOCKET}, or a silent one when it is unset
     */
    static ServiceNotifier fromEnvironment(Map<String, String> environment) {
        return Optional.ofNullable(environment.get("NOTIFY_SOCKET")).filter(s -> !s.isBlank())
                .<ServiceNotifier>map(NotifySocket::new).orElse(new Silent());
    }

    /** Not started by systemd with a notify socket. */
    record Silent() implements ServiceNotifier {
        @Override
        public boolean send(String message) {
            return false;
        }

        @Override
        public boolean active() {
            return false;
        }
    }
}

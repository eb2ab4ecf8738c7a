package dev.tokenkeeper.daemon.systemd;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The systemd side (READY=1, the watchdog) is proven under a real systemd in dist's SystemdPackageIT. */
class ServiceNotifierTest {

    @Test
    void withoutNotifySocketNothingIsSent() {
        ServiceNotifier notifier = ServiceNotifier.fromEnvironment(Map.of());
        assertFalse(notifier.active());
        assertFalse(notifier.send("READY=1"));
    }

    @Test
    void socketAddressesArePathsOrAbstractNames() {
        byte[] path = NotifySocket.address("/run/systemd/notify");
        assertEquals(2 + "/run/systemd/notify".length() + 1, path.length);
        assertEquals(1, path[0] + path[1], "AF_UNIX");
        assertEquals('/', path[2]);
        assertEquals(0, path[path.length - 1]);
        byte[] abstractName = NotifySocket.address("@sd");
        assertArrayEquals(new byte[] {0, 's', 'd'}, java.util.Arrays.copyOfRange(abstractName, 2, abstractName.length));
        assertNull(NotifySocket.address("/" + "x".repeat(200)));
    }

    @Test
    void sendingToAMissingSocketFailsWithoutThrowing() {
        ServiceNotifier notifier = ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/nonexistent/notify"));
        assertTrue(notifier.active());
        assertFalse(notifier.send("READY=1"));
    }

    @Test
    void theWatchdogPeriodIsOnlyForThisProcess() {
        String self = Long.toString(ProcessHandle.current().pid());
        assertEquals(Optional.of(Duration.ofSeconds(20)), Watchdog.requested(Map.of("WATCHDOG_USEC", "20000000", "WATCHDOG_PID", self)));
        assertEquals(Optional.of(Duration.ofSeconds(20)), Watchdog.requested(Map.of("WATCHDOG_USEC", "20000000")));
        assertEquals(Optional.empty(), Watchdog.requested(Map.of("WATCHDOG_USEC", "20000000", "WATCHDOG_PID", "1")));
        assertEquals(Optional.empty(), Watchdog.requested(Map.of("WATCHDOG_USEC", "soon")));
        assertEquals(Optional.empty(), Watchdog.requested(Map.of()));
    }
}

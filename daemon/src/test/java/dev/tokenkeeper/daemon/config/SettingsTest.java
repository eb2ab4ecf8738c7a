package dev.tokenkeeper.daemon.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

    @Test
    void vintedAliasesWorkAndPrimaryNamesWin() {
        DaemonConfig config = DaemonConfig.from(Settings.of(Map.of("VINTED_AUTO_REFRESH_ENABLED", "false",
                "VINTED_TOKEN_REFRESH_INTERVAL_MINUTES", "15", "TOKENKEEPER_STATE_DIR", "/tmp/x"), Map.of()));
        assertFalse(config.autoRefreshEnabled());
        assertEquals(Duration.ofMinutes(15), config.checkInterval());
        DaemonConfig primary = DaemonConfig.from(Settings.of(Map.of("VINTED_AUTO_REFRESH_ENABLED", "false",
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "true", "TOKENKEEPER_STATE_DIR", "/tmp/x"), Map.of()));
        assertTrue(primary.autoRefreshEnabled());
    }

    @Test
    void defaultsAndStateFolderOrder() {
        DaemonConfig config = DaemonConfig.from(Settings.of(Map.of("XDG_STATE_HOME", "/var/xdg"), Map.of()));
        assertEquals(Path.of("/var/xdg/tokenkeeper"), config.stateDirectory());
        assertEquals(ListenAddress.DEFAULT, config.listen());
        assertEquals(Duration.ofMinutes(30), config.checkInterval());
        assertEquals("sqlite", config.storeId());
        assertEquals(Path.of("/srv/state"), StateDirectory.resolve(Settings.of(Map.of("STATE_DIRECTORY", "/srv/state:/other",
                "XDG_STATE_HOME", "/var/xdg"), Map.of())));
        assertEquals(Path.of("/flag"), StateDirectory.resolve(Settings.of(Map.of("TOKENKEEPER_STATE_DIR", "/env"),
                Map.of("TOKENKEEPER_STATE_DIR", "/flag"))));
    }

    @Test
    void badValuesNameTheSetting() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> DaemonConfig.from(
                Settings.of(Map.of("TOKENKEEPER_CHECK_INTERVAL_MINUTES", "soon"), Map.of())));
        assertTrue(e.getMessage().contains("TOKENKEEPER_CHECK_INTERVAL_MINUTES"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> ListenAddress.parse("localhost"));
        assertFalse(ListenAddress.parse("0.0.0.0:8787").isLoopback());
        assertTrue(ListenAddress.parse("127.0.0.1:0").isLoopback());
    }

    @Test
    void unixListenAddressNamesASocketAndAcceptsLocalhost() {
        ListenAddress unix = ListenAddress.parse("unix:/run/tokenkeeper/tokenkeeper.sock");
        assertEquals(java.nio.file.Path.of("/run/tokenkeeper/tokenkeeper.sock"), unix.unixSocket().orElseThrow());
        assertEquals("unix:/run/tokenkeeper/tokenkeeper.sock", unix.display());
        assertTrue(unix.isLoopback());
        assertTrue(dev.tokenkeeper.daemon.http.AccessPolicy.of(unix, java.util.Set.of(), false).refuseHost("localhost").isEmpty());
        assertTrue(ListenAddress.parse("127.0.0.1:8787").unixSocket().isEmpty());
        ConfigurationException relative = assertThrows(ConfigurationException.class, () -> ListenAddress.parse("unix:tk.sock"));
        assertTrue(relative.getMessage().contains("absolute socket path"), relative.getMessage());
    }
}

package dev.tokenkeeper.daemon.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tokenkeeper.api.contract.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tinylog.Supplier;

/** How many routine lines reach the journal at info, on a controlled clock. */
class RoutineLinesTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<String> info = new ArrayList<>();
    private final List<String> debug = new ArrayList<>();
    private final RoutineLines lines = new RoutineLines(clock, 3, new RoutineLines.Out() {
        @Override
        public void info(String line) {
            info.add(line);
        }

        @Override
        public void debug(Supplier<String> line) {
            debug.add(line.get());
        }
    });

    /** Logs "refreshed c1" to "refreshed c{count}", {@code apart} from each other. */
    private void logRefreshes(int count, Duration apart) {
        for (int i = 1; i <= count; i++) {
            int n = i;
            lines.log(() -> "refreshed c" + n);
            clock.advance(apart);
        }
    }

    @Test
    void aMinutesShareGoesToInfoTheRestToDebugAndTheNextMinuteSaysHowManyWereLeftOut() {
        logRefreshes(5, Duration.ofSeconds(5));
        assertEquals(List.of("refreshed c1", "refreshed c2", "refreshed c3"), info);
        assertEquals(List.of("refreshed c4", "refreshed c5"), debug);

        clock.advance(Duration.ofSeconds(35));
        lines.log(() -> "refreshed c6");
        assertEquals(List.of("refreshed c1", "refreshed c2", "refreshed c3",
                "2 more routine lines in the last 60 s went to debug only (at most 3 a minute at info;"
                        + " TOKENKEEPER_LOG_LEVEL=debug shows each)", "refreshed c6"), info);
    }

    @Test
    void aQuietDaemonLogsEveryLineAndNoCount() {
        logRefreshes(6, Duration.ofSeconds(30));
        assertEquals(6, info.size(), info.toString());
        assertEquals(List.of(), debug);
    }

    @Test
    void aNegativeShareIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RoutineLines(clock, -1));
    }
}

package dev.tokenkeeper.daemon.assembly;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartedPartsTest {

    private final List<String> log = new ArrayList<>();

    private Part part(String name) {
        return new Part(name, () -> log.add("start " + name), () -> log.add("stop " + name));
    }

    @Test
    void closesInReverseOrderAfterQuietingDown() {
        StartedParts parts = new StartedParts(() -> log.add("quiesce"));
        parts.start(List.of(part("a"), part("b"), part("c")), UnaryOperator.identity());
        assertEquals(List.of("a", "b", "c"), parts.names());
        parts.close();
        assertEquals(List.of("start a", "start b", "start c", "quiesce", "stop c", "stop b", "stop a"), log);
        assertEquals(List.of(), parts.names());
    }

    @Test
    void aFailedStartClosesTheStartedOnesAndKeepsItsExceptionWithCloseErrorsSuppressed() {
        IllegalStateException refused = new IllegalStateException("b refused");
        IllegalStateException stuck = new IllegalStateException("a stuck");
        StartedParts parts = new StartedParts(() -> log.add("quiesce"));
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> parts.start(List.of(
                new Part("a", () -> log.add("start a"), () -> {
                    log.add("stop a");
                    throw stuck;
                }),
                new Part("b", () -> {
                    throw refused;
                }, () -> log.add("stop b")),
                part("c")), UnaryOperator.identity()));
        assertSame(refused, thrown);
        assertArrayEquals(new Throwable[] {stuck}, thrown.getSuppressed());
        assertEquals(List.of("start a", "quiesce", "stop a"), log, "b never started, so it is not stopped; c never starts");
        assertEquals(List.of(), parts.names());
    }

    @Test
    void aCheckedFailureNamesThePartAndKeepsItsCause() {
        IOException cause = new IOException("port taken");
        StartedParts parts = new StartedParts(() -> { });
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> parts.start(List.of(
                new Part("control API", () -> {
                    throw cause;
                }, () -> { })), UnaryOperator.identity()));
        assertSame(cause, thrown.getCause());
        assertTrue(thrown.getMessage().startsWith("control API could not start"), thrown.getMessage());
    }
}

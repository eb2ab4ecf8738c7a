package dev.tokenkeeper.daemon.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ResourceLock(Resources.SYSTEM_PROPERTIES)
class JettyMemoryTest {

    private final String before = System.getProperty(JettyMemory.PROPERTY);

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(JettyMemory.PROPERTY);
        } else {
            System.setProperty(JettyMemory.PROPERTY, before);
        }
    }

    @Test
    void aHeapBelow32GiBHasCompressedReferencesSixteenToA64ByteLine() {
        System.clearProperty(JettyMemory.PROPERTY);
        JettyMemory.answerWithoutJmx();
        // The test JVM's heap is far below 32 GiB, so references are 4 bytes.
        assertEquals("16", System.getProperty(JettyMemory.PROPERTY));
    }

    @Test
    void anOperatorsValueIsKept() {
        System.setProperty(JettyMemory.PROPERTY, "8");
        JettyMemory.answerWithoutJmx();
        assertEquals("8", System.getProperty(JettyMemory.PROPERTY));
    }
}

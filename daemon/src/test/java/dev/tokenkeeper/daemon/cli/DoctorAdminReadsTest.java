package dev.tokenkeeper.daemon.cli;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DoctorAdminReadsTest {

    @Test
    void readsTheAdminCounterOutOfThePrometheusText() {
        String metrics = """
                # TYPE tokenkeeper_token_reads_total counter
                tokenkeeper_token_reads_total{consumer="admin"} 1234.0
                tokenkeeper_token_reads_total{consumer="market-app"} 5.0
                """;
        assertEquals(Optional.of(1234L), DoctorCommand.adminReads(metrics));
        assertEquals(Optional.empty(), DoctorCommand.adminReads("tokenkeeper_token_reads_total{consumer=\"x\"} 3.0\n"));
    }
}

/**
 * The tokenkeeper benchmarks: each measurement reports a ratio against a baseline measured in the
 * same run. The in-process ones build the daemon with its own assembly, through the packages the
 * daemon exports to this module only; stores and providers are found on the module path by the
 * daemon's plugin loader; the others start the assembled distribution as a process.
 */
module dev.tokenkeeper.bench {
    requires dev.tokenkeeper.api;
    requires dev.tokenkeeper.daemon;
    requires java.net.http;
    requires java.sql;
    // Measurement 10 fills a million rows with COPY, which only the driver's own API offers.
    requires org.postgresql.jdbc;
    requires jdk.httpserver;
    requires jmh.core;
    // JMH, an automatic module, uses sun.misc.Unsafe; nothing else would resolve it.
    requires jdk.unsupported;
    requires org.tinylog.api;
    requires com.fasterxml.jackson.databind;

    // JMH's forked JVM loads the generated benchmark classes reflectively.
    exports dev.tokenkeeper.bench.schedule.jmh_generated to jmh.core;
}

/**
 * The tokenkeeper benchmarks: each measurement reports a ratio against a baseline measured in the
 * same run. The in-process rigs use the daemon's own parts through the packages the daemon exports
 * to this module only; stores and providers are found on the module path by the daemon's own plugin
 * loader.
 */
module dev.tokenkeeper.bench {
    requires dev.tokenkeeper.api;
    requires dev.tokenkeeper.daemon;
    requires java.net.http;
    requires jdk.httpserver;
    requires jmh.core;
    // JMH, an automatic module, uses sun.misc.Unsafe; nothing else would resolve it.
    requires jdk.unsupported;
    requires org.tinylog.api;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires com.fasterxml.jackson.databind;

    // JMH's forked JVM loads the generated benchmark classes reflectively.
    exports dev.tokenkeeper.bench.schedule.jmh_generated to jmh.core;
}

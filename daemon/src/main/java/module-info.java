/**
 * The tokenkeeper daemon: CLI, configuration, plugin discovery, the refresh pipeline and its
 * scheduling, encryption at rest, the control API and logging. Providers and stores are found with
 * {@link java.util.ServiceLoader}; this module never names one.
 */
module dev.tokenkeeper.daemon {
    requires dev.tokenkeeper.api;
    requires java.net.http;
    requires jdk.net;
    requires io.javalin;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.unixdomain.server;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.util;
    requires org.quartz;
    requires org.bouncycastle.provider;
    requires org.bouncycastle.pkix;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jdk8;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires org.tinylog.api;
    requires org.tinylog.impl;
    requires info.picocli;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires com.sun.jna;

    uses dev.tokenkeeper.api.TokenProvider;
    uses dev.tokenkeeper.api.TokenStore;

    provides org.tinylog.writers.Writer with dev.tokenkeeper.daemon.log.JournalWriter;

    // The benchmarks build their rigs from the daemon's own assembly.
    exports dev.tokenkeeper.daemon.assembly to dev.tokenkeeper.bench, dev.tokenkeeper.inprocess;
    exports dev.tokenkeeper.daemon.config to dev.tokenkeeper.bench, dev.tokenkeeper.inprocess;
    exports dev.tokenkeeper.daemon.crypto to dev.tokenkeeper.bench;
    exports dev.tokenkeeper.daemon.plugin to dev.tokenkeeper.bench;
    exports dev.tokenkeeper.daemon.refresh to dev.tokenkeeper.bench, dev.tokenkeeper.inprocess;
    // Quartz instantiates job classes reflectively.
    exports dev.tokenkeeper.daemon.schedule to org.quartz, dev.tokenkeeper.bench, dev.tokenkeeper.inprocess;
    // tinylog instantiates its writer reflectively.
    exports dev.tokenkeeper.daemon.log to org.tinylog.api, org.tinylog.impl, dev.tokenkeeper.inprocess;
    opens dev.tokenkeeper.daemon.log to org.tinylog.api, org.tinylog.impl;
    // JNA builds a proxy of the libc interface reflectively.
    exports dev.tokenkeeper.daemon.systemd to com.sun.jna;
    opens dev.tokenkeeper.daemon.systemd to com.sun.jna;
    // picocli reads command classes reflectively.
    exports dev.tokenkeeper.daemon.cli to dev.tokenkeeper.inprocess;
    opens dev.tokenkeeper.daemon.cli to info.picocli;
    // Jackson reads and writes the API's records.
    opens dev.tokenkeeper.daemon.http to com.fasterxml.jackson.databind;
    opens dev.tokenkeeper.daemon.schedule to com.fasterxml.jackson.databind;
    opens dev.tokenkeeper.daemon.crypto to com.fasterxml.jackson.databind;
    opens dev.tokenkeeper.daemon.notify to com.fasterxml.jackson.databind;
}

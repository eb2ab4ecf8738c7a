/**
 * The in-process harness: {@code TokenkeeperExtension} runs the daemon's own assembly inside a JUnit
 * test, on a controlled clock, with the test's providers and the real SQLite store (or a wrapper of it),
 * and hands the test its captured log. Its tests run on the class path: they reach into the daemon's and
 * the providers' packages (and their test jars' imitations), which a module could not.
 */
module dev.tokenkeeper.inprocess {
    requires transitive dev.tokenkeeper.api;
    requires transitive dev.tokenkeeper.daemon;
    requires transitive dev.tokenkeeper.api.contract;
    requires transitive org.junit.jupiter.api;
    requires com.fasterxml.jackson.databind;
    requires org.tinylog.api;
    requires org.tinylog.impl;

    uses dev.tokenkeeper.api.TokenStore;

    exports dev.tokenkeeper.inprocess;
}

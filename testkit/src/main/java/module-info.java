/**
 * Test fixtures that need no daemon, for the in-process and the process tests.
 */
module dev.tokenkeeper.testkit {
    requires com.fasterxml.jackson.databind;
    requires jdk.httpserver;

    exports dev.tokenkeeper.testkit;
}

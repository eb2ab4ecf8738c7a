package dev.tokenkeeper.daemon.cli;

/** The CLI could not reach the daemon's control API. */
final class DaemonNotRunningException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    DaemonNotRunningException(String baseUrl) {
        super("tokenkeeper is not running at " + baseUrl + ": start it with `tokenkeeper run` "
                + "(or `systemctl start tokenkeeper`), or point --listen / TOKENKEEPER_LISTEN at it");
    }
}

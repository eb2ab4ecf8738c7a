package dev.tokenkeeper.daemon.cli;

import picocli.CommandLine.Option;

/** {@code --account}: which of a provider's accounts a new credential is for. */
final class AccountOption {

    @Option(names = "--account", defaultValue = "default", description = "account name (default: ${DEFAULT-VALUE})")
    String account;

    /** @return the account name */
    String name() {
        return account;
    }
}

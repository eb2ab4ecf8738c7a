package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.api.CredentialId;
import picocli.CommandLine.Parameters;

/** The credential a command acts on: its first parameter, {@code <provider>:<account>}. */
final class CredentialArgument {

    @Parameters(index = "0", description = "credential id, <provider>:<account>, e.g. <provider>:default")
    String id;

    /**
     * @return the credential named
     * @throws IllegalArgumentException saying what a credential id looks like
     */
    CredentialId credential() {
        return CredentialId.parse(id);
    }
}

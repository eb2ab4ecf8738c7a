package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;

/** No credential with that id. */
public class CredentialNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param id the id that was asked for */
    public CredentialNotFoundException(CredentialId id) {
        super("no credential " + id + ": list them with `tokenkeeper status`, import one with `tokenkeeper import "
                + id.provider() + " --account " + id.account() + " ...`");
    }
}

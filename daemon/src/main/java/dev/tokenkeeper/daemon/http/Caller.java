package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import io.javalin.http.Context;

/**
 * Who made an {@code /api/} request, as {@link BearerAuth} found: the admin, or a consumer limited
 * to its credentials. Token routes ask it whether the caller may read a credential and tell it
 * about each read (the audit).
 */
sealed interface Caller {

    /** The request attribute holding the caller. */
    String ATTRIBUTE = "tokenkeeper.caller";

    /** @return the name in metrics and logs: {@code admin} or the consumer's */
    String name();

    /** The admin token. */
    record Admin() implements Caller {
        @Override
        public String name() {
            return "admin";
        }
    }

    /** @param consumer a consumer's token */
    record Scoped(Consumer consumer) implements Caller {
        @Override
        public String name() {
            return consumer.name();
        }
    }

    /**
     * @param ctx a request
     * @param id  the credential whose token it asks for
     * @throws ApiException 403 when a consumer asks for another credential
     */
    static void requireRead(Context ctx, CredentialId id) {
        if (ctx.attribute(ATTRIBUTE) instanceof Scoped scoped && !scoped.consumer().mayRead(id)) {
            throw new ApiException(403, "forbidden", "consumer " + scoped.name() + " may only GET"
                    + " /api/v1/credentials/{id}/token and POST /api/v1/credentials/{id}/rejected for "
                    + scoped.consumer().credentials() + ", not for " + id);
        }
    }

    /**
     * Counts a token handed out, and logs a caller's first read of each token version.
     *
     * @param ctx  the request
     * @param live what was handed out
     */
    static void recordRead(Context ctx, LiveCredential live) {
        if (ctx.attribute(BearerAuth.ATTRIBUTE) instanceof BearerAuth auth
                && ctx.attribute(ATTRIBUTE) instanceof Caller caller) {
            auth.recordRead(caller, live);
        }
    }
}

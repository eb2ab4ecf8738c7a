package dev.tokenkeeper.api;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A route that clients written before tokenkeeper still call, which a provider asks the daemon to
 * serve as an alias of one of its own routes ({@link TokenProvider#legacyRoutes}). It is plain data:
 * the daemon serves it under {@code /api/}, with the same bearer check and the same consumer rules
 * as the route it stands for, so a provider needs no HTTP server library.
 */
public sealed interface LegacyRoute {

    /** What a legacy path looks like: under {@code /api/}, letters, digits, {@code - _ .} and slashes, no parameters. */
    Pattern PATH = Pattern.compile("/api/[a-z0-9._-]+(/[a-z0-9._-]+)*");

    /** @return the route's path, matching {@link #PATH} */
    String path();

    /**
     * {@code GET} and {@code POST} at {@link #path()} answer as {@code GET|POST /api/v1/scheduler}:
     * the scheduler's state, and its start, stop and restart. Admin token only.
     *
     * @param path the route's path
     */
    record Scheduler(String path) implements LegacyRoute {
        /** Checks the path. */
        public Scheduler {
            checkPath(path);
        }
    }

    /**
     * {@code POST} at {@link #path()} imports a secret, as {@code PUT /api/v1/credentials/{id}} does,
     * into the credential {@code <provider>:<account>}. The body is a JSON object; the first of
     * {@code inputs} present in it is the secret. Admin token only.
     *
     * @param path         the route's path
     * @param accountField the body field naming the account; {@code default} when it is absent
     * @param inputs       the body fields that may carry the secret, in the order they are tried
     * @param usage        the error message when none is present: what the body must look like
     */
    record Import(String path, String accountField, List<InputField> inputs, String usage) implements LegacyRoute {
        /** Checks the path and copies the list. */
        public Import {
            checkPath(path);
            Objects.requireNonNull(accountField, "accountField");
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("a legacy import route needs at least one input field");
            }
            Objects.requireNonNull(usage, "usage");
        }
    }

    /**
     * {@code GET} at {@link #path()} hands out the token of {@code <provider>:<account>}, as
     * {@code GET /api/v1/credentials/{id}/token} does (with its {@code minValidity} parameter and
     * its consumer rule: a consumer may read only its credentials), answered as a JSON object of
     * {@code fields}.
     *
     * @param path             the route's path
     * @param accountParameter the query parameter naming the account; {@code default} when it is absent
     * @param fields           the answer's fields, in order
     */
    record Token(String path, String accountParameter, List<TokenField> fields) implements LegacyRoute {
        /** Checks the path and copies the list. */
        public Token {
            checkPath(path);
            Objects.requireNonNull(accountParameter, "accountParameter");
            fields = List.copyOf(fields);
        }
    }

    /**
     * A body field of an {@link Import} route and the form its text is handed to the provider in.
     *
     * @param name the body field
     * @param form a {@link SecretInput#form()}: {@code cookie}, {@code cookie-file} or {@code token-json}
     */
    record InputField(String name, String form) {
        /** Checks the form. */
        public InputField {
            Objects.requireNonNull(name, "name");
            if (!List.of("cookie", "cookie-file", "token-json").contains(form)) {
                throw new IllegalArgumentException("an input field's form is cookie, cookie-file or token-json, not " + form);
            }
        }

        /**
         * @param text the field's text
         * @return the text as the secret input of {@link #form()}
         */
        public SecretInput input(String text) {
            return switch (form) {
                case "cookie" -> new SecretInput.CookieHeader(text);
                case "cookie-file" -> new SecretInput.CookieFile(text);
                default -> new SecretInput.TokenJson(text);
            };
        }
    }

    /** A field of a {@link Token} route's answer, and which part of the handed-out token it holds. */
    sealed interface TokenField {

        /** @return the field's name in the answer */
        String name();

        /** @param name the field holding the bare token ({@link Presentation#token()}) */
        record BareToken(String name) implements TokenField {
        }

        /** @param name the field holding every header to send ({@link Presentation#headers()}) */
        record Headers(String name) implements TokenField {
        }

        /**
         * @param name   the field holding one header's value, or {@code null} when the token has no such header
         * @param header the header
         */
        record Header(String name, String header) implements TokenField {
        }

        /** @param name the field holding when the access token expires (ISO-8601), or {@code null} when unknown */
        record ExpiresAt(String name) implements TokenField {
        }
    }

    private static void checkPath(String path) {
        if (path == null || !PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("a legacy route's path must be under /api/, of lower-case letters,"
                    + " digits, . _ - and slashes: " + path);
        }
    }
}

package dev.tokenkeeper.api;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * What a user hands the daemon to create a credential. A provider accepts the forms that make sense
 * for its upstream and rejects the others with an {@link InvalidSecretException} that names the
 * forms it does take.
 */
public sealed interface SecretInput {

    /** @return a short name for the form, for messages: {@code cookie}, {@code cookie-file}, ... */
    String form();

    /**
     * A {@code Cookie:} header value as copied from a browser's developer tools.
     *
     * @param header {@code name=value; name2=value2}
     */
    record CookieHeader(String header) implements SecretInput {
        /** Rejects null. */
        public CookieHeader {
            Objects.requireNonNull(header, "header");
        }

        @Override
        public String form() {
            return "cookie";
        }

        /** @return the form only, never the cookies */
        @Override
        public String toString() {
            return "CookieHeader[hidden]";
        }
    }

    /**
     * The content of a cookies file exported by a browser extension: a JSON array of
     * {@code {name, value, domain, expirationDate}} objects, or the Netscape {@code cookies.txt} format.
     *
     * @param content the whole file
     */
    record CookieFile(String content) implements SecretInput {
        /** Rejects null. */
        public CookieFile {
            Objects.requireNonNull(content, "content");
        }

        @Override
        public String form() {
            return "cookie-file";
        }

        /** @return the form only, never the cookies */
        @Override
        public String toString() {
            return "CookieFile[hidden]";
        }
    }

    /**
     * A token response as JSON, for example
     * {@code {"access_token","refresh_token","expires_in","created_at"}}.
     *
     * @param json the JSON text
     */
    record TokenJson(String json) implements SecretInput {
        /** Rejects null. */
        public TokenJson {
            Objects.requireNonNull(json, "json");
        }

        @Override
        public String form() {
            return "token-json";
        }

        /** @return the form only, never the tokens */
        @Override
        public String toString() {
            return "TokenJson[hidden]";
        }
    }

    /**
     * An access token alone, without a refresh token: the bare token, or an
     * {@code Authorization: Bearer ...} line (or its value) as copied from a browser's developer tools.
     * A provider that takes it usually declares the secret {@link Refreshability.UntilExpiry}.
     *
     * @param token the text as pasted; the provider takes the token out of it
     */
    record AccessToken(String token) implements SecretInput {
        /** Rejects null. */
        public AccessToken {
            Objects.requireNonNull(token, "token");
        }

        @Override
        public String form() {
            return "access-token";
        }

        /** @return the form only, never the token */
        @Override
        public String toString() {
            return "AccessToken[hidden]";
        }
    }

    /**
     * An OAuth 2 authorization code received on a redirect, to be exchanged for tokens.
     *
     * @param code         the code
     * @param redirectUri  the redirect URI the code was issued for
     * @param codeVerifier the PKCE (RFC 7636) code verifier of the flow, when the authorization URL
     *                     carried its challenge; the provider sends it with the exchange
     */
    record AuthorizationCode(String code, URI redirectUri, Optional<String> codeVerifier) implements SecretInput {
        /** Rejects nulls. */
        public AuthorizationCode {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(redirectUri, "redirectUri");
            Objects.requireNonNull(codeVerifier, "codeVerifier");
        }

        /**
         * A code from a flow without PKCE.
         *
         * @param code        the code
         * @param redirectUri the redirect URI the code was issued for
         */
        public AuthorizationCode(String code, URI redirectUri) {
            this(code, redirectUri, Optional.empty());
        }

        @Override
        public String form() {
            return "authorization-code";
        }

        /** @return the redirect URI only, never the code or verifier */
        @Override
        public String toString() {
            return "AuthorizationCode[redirectUri=" + redirectUri + ", code and verifier hidden]";
        }
    }
}

package dev.tokenkeeper.daemon.oauth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * PKCE (RFC 7636) with the {@code S256} method for an authorization-code flow: the verifier stays
 * with whoever started the flow, the challenge goes into the authorization URL, the verifier goes
 * with the code exchange. A code intercepted on the redirect is then useless without the verifier.
 *
 * @param verifier  43 characters of base64url from 32 random bytes (secret until the exchange)
 * @param challenge BASE64URL(SHA-256(verifier)) without padding
 */
public record Pkce(String verifier, String challenge) {

    /** RFC 7636 section 4.1: 43 to 128 unreserved characters; the challenge of S256 is 43 base64url characters. */
    private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
    private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** @return a fresh verifier and its challenge */
    public static Pkce generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String verifier = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        return new Pkce(verifier, challengeOf(verifier));
    }

    /**
     * @param verifier a code verifier
     * @return its S256 challenge
     */
    public static String challengeOf(String verifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * @param text a value received as a verifier
     * @return whether it has the form RFC 7636 requires
     */
    public static boolean isVerifier(String text) {
        return text != null && VERIFIER.matcher(text).matches();
    }

    /**
     * @param text a value received as an S256 challenge
     * @return whether it has the form of one
     */
    public static boolean isChallenge(String text) {
        return text != null && CHALLENGE.matcher(text).matches();
    }

    /** @return the challenge only; the verifier is a secret until the exchange */
    @Override
    public String toString() {
        return "Pkce[challenge=" + challenge + ", verifier hidden]";
    }
}

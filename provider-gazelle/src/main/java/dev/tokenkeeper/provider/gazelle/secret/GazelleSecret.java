package dev.tokenkeeper.provider.gazelle.secret;

import dev.tokenkeeper.api.SecretMaterial;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of a Gazelle credential's {@link SecretMaterial} and how to read them:
 * {@value #ACCESS_TOKEN}, {@value #REFRESH_TOKEN} and {@value #TOKEN_TYPE}.
 */
public final class GazelleSecret {

    /** Field: the OAuth access token. */
    public static final String ACCESS_TOKEN = "access_token";
    /** Field: the OAuth refresh token. */
    public static final String REFRESH_TOKEN = "refresh_token";
    /** Field: the token type, used as the {@code Authorization} scheme. */
    public static final String TOKEN_TYPE = "token_type";
    /** The token type when the upstream names none. */
    public static final String DEFAULT_TOKEN_TYPE = "Bearer";

    private GazelleSecret() {
    }

    /**
     * @param accessToken  the access token
     * @param refreshToken the refresh token
     * @param tokenType    the token type as the upstream wrote it (normalized here)
     * @return the secret material
     */
    public static SecretMaterial material(String accessToken, String refreshToken, String tokenType) {
        return new SecretMaterial(Map.of(
                ACCESS_TOKEN, accessToken,
                REFRESH_TOKEN, refreshToken,
                TOKEN_TYPE, normalizeTokenType(tokenType)));
    }

    /**
     * An access token without a refresh token (copied from a browser's developer tools).
     *
     * @param accessToken the access token
     * @param tokenType   the token type (normalized here)
     * @return the secret material, with no {@value #REFRESH_TOKEN} field
     */
    public static SecretMaterial accessOnly(String accessToken, String tokenType) {
        return new SecretMaterial(Map.of(ACCESS_TOKEN, accessToken, TOKEN_TYPE, normalizeTokenType(tokenType)));
    }

    /**
     * @param secret the secret material
     * @return true when it holds a refresh token, so that it can be refreshed
     */
    public static boolean refreshes(SecretMaterial secret) {
        return present(secret, REFRESH_TOKEN).isPresent();
    }

    /**
     * @param secret the secret material
     * @param name   a field name
     * @return the field's value, if present and not blank
     */
    public static Optional<String> present(SecretMaterial secret, String name) {
        return secret.field(name).filter(value -> !value.isBlank());
    }

    /**
     * @param secret the secret material
     * @return the normalized token type, {@value #DEFAULT_TOKEN_TYPE} when none is stored
     */
    public static String tokenType(SecretMaterial secret) {
        return normalizeTokenType(secret.field(TOKEN_TYPE).orElse(DEFAULT_TOKEN_TYPE));
    }

    /**
     * @param secret the secret material
     * @return the {@code Authorization} header value: {@code <token_type> <access_token>}
     * @throws IllegalStateException when there is no access token (names the field only)
     */
    public static String authorization(SecretMaterial secret) {
        String accessToken = present(secret, ACCESS_TOKEN)
                .orElseThrow(() -> new IllegalStateException("secret material has no field '" + ACCESS_TOKEN + "'"));
        return tokenType(secret) + " " + accessToken;
    }

    /**
     * Doorkeeper answers {@code "token_type": "Bearer"}, other servers {@code "bearer"}; consumers
     * expect the canonical spelling.
     *
     * @param tokenType the type as written by the upstream or the user
     * @return {@code Bearer} for any spelling of bearer or a blank type, otherwise the type stripped
     */
    public static String normalizeTokenType(String tokenType) {
        String type = tokenType == null ? "" : tokenType.strip();
        if (type.isEmpty() || type.toLowerCase(Locale.ROOT).equals("bearer")) {
            return DEFAULT_TOKEN_TYPE;
        }
        return type;
    }
}

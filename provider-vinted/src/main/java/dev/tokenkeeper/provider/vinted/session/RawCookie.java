package dev.tokenkeeper.provider.vinted.session;


/**
 * One cookie as read from a user's import, before the provider picks the Vinted session out of it.
 *
 * @param name   the cookie name
 * @param value  the cookie value
 * @param domain the domain it was stored for ({@code .vinted.fr}), or empty when the form does not
 *               say (a {@code Cookie:} header)
 */
public record RawCookie(String name, String value, String domain) {

    /** @return name and domain only, never the value */
    @Override
    public String toString() {
        return "RawCookie[" + name + (domain.isEmpty() ? "" : " @" + domain) + ", value hidden]";
    }
}

package dev.tokenkeeper.daemon.console;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.io.IOException;
import java.io.InputStream;

/** How every console answer is sent: security headers, no caching of pages, and the two static files. */
final class Responses {

    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " base-uri 'none'; frame-ancestors 'none'";

    private Responses() {
    }

    static void redirect(Context ctx, String to) {
        noStore(ctx);
        ctx.redirect(to, HttpStatus.SEE_OTHER);
    }

    static void page(Context ctx, int status, String html) {
        noStore(ctx);
        ctx.status(status).contentType("text/html; charset=utf-8").result(html);
    }

    static void noStore(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        securityHeaders(ctx);
    }

    static void securityHeaders(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("X-Content-Type-Options", "nosniff");
        // The callback URL carries an authorization code: no Referer may take it elsewhere.
        ctx.header("Referrer-Policy", "no-referrer");
    }

    static void asset(Context ctx, String type, byte[] content) {
        securityHeaders(ctx);
        ctx.header("Cache-Control", "max-age=3600");
        ctx.contentType(type).result(content);
    }

    static byte[] resource(String name) {
        try (InputStream in = Responses.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("console resource " + name + " is missing from the daemon jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read console resource " + name, e);
        }
    }

    static String printable(String text) {
        String cut = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}

package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/**
 * The answer to a request Jetty refuses before any route sees it (an encoded NUL or an ambiguous
 * path, a head too large, a broken request line): the API's JSON error instead of Jetty's HTML page,
 * and {@code Connection: close}. Jetty closes such a connection after answering but, answering on a
 * stand-in HTTP/1.0 stream, does not say so; an HTTP/1.1 client then keeps the connection for its
 * next request and loses that request to the close.
 */
final class MalformedRequestAnswer extends ErrorHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        int status = response.getStatus();
        String reason = null;
        if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException refused) {
            status = refused.getCode();
            reason = refused.getReason();
        }
        if (status < 400) {
            status = HttpStatus.BAD_REQUEST_400;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        response.getHeaders().put(ERROR_CACHE_CONTROL);
        if (HttpStatus.hasNoBody(status) || "HEAD".equals(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        String what = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        String message = "the request was refused before any route read it (" + what + "): send a well-formed "
                + "HTTP/1.1 request; a credential id in a path is provider:name, percent-encoded, without NUL, '/' or '..'";
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("error", "malformed_request").put("message", message));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, MimeTypes.Type.APPLICATION_JSON_UTF_8.asString());
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}

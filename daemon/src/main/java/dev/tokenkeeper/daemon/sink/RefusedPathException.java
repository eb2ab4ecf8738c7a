package dev.tokenkeeper.daemon.sink;

import java.io.IOException;

/**
 * A sink path the daemon will not act on: a link where a folder or file belongs, or a folder another
 * user owns or can write. The message names the path and what to do, never a token.
 */
final class RefusedPathException extends IOException {

    RefusedPathException(String message) {
        super(message);
    }
}

package dev.tokenkeeper.daemon.http;

import io.javalin.config.RoutesConfig;

/** A set of related routes of the control API. */
public interface RouteGroup {

    /** @param routes where to add the group's routes */
    void register(RoutesConfig routes);
}

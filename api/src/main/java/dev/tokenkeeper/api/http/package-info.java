/**
 * What a provider or store needs to talk HTTP to its upstream safely, once for all plugins:
 * {@link dev.tokenkeeper.api.http.CappedBody} reads an answer under one deadline with a size cap,
 * {@link dev.tokenkeeper.api.http.RetryAfter} is the one {@code Retry-After} rule,
 * {@link dev.tokenkeeper.api.http.PlainHttp} says where clear-text {@code http://} is allowed,
 * {@link dev.tokenkeeper.api.http.UpstreamText} makes an upstream's free text fit to show, and
 * {@link dev.tokenkeeper.api.http.ClientOnFirstUse} builds a client at its first use, off the daemon's start
 * ({@link dev.tokenkeeper.api.http.OnFirstUse} anything else).
 */
package dev.tokenkeeper.api.http;

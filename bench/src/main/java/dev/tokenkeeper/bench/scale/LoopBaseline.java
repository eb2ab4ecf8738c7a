package dev.tokenkeeper.bench.scale;

/**
 * The bare claim + commit loop's best run of a round: what a storm is compared with.
 *
 * @param perSecond            rows committed per second
 * @param databaseMicrosPerRow the database's own CPU per row committed, microseconds (NaN when not measured)
 */
record LoopBaseline(double perSecond, double databaseMicrosPerRow) {
}

package dev.tokenkeeper.bench.scale;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What measurement 10 runs, from system properties (defaults: issue 26's sizes).
 *
 * @param small        credentials of the first start-up figure ({@code scale.small}, 10,000)
 * @param count        credentials of the second ({@code scale.count}, 1,000,000)
 * @param daemons      daemons sharing the store ({@code scale.daemons}, 4)
 * @param storm        credentials falling due in the storm ({@code scale.storm}, 100,000)
 * @param window       within how long they fall due ({@code scale.window} seconds, 60)
 * @param lease        the daemons' lease ({@code scale.lease} seconds, 30: {@code TOKENKEEPER_LEASE_SECONDS})
 * @param reads        token reads of credentials the daemon has never served ({@code scale.reads}, 1,000)
 * @param startWithin  how long a daemon may take to start before the figure says so ({@code scale.startWithin} seconds, 300)
 * @param lead         time between the storm's fill starting (the daemons already running) and its first due
 *                     time ({@code scale.lead} seconds, 90: the fill must fit in it)
 * @param drain        how long after the window the storm may take to finish ({@code scale.drain} seconds, 900)
 * @param threads      each daemon's refresh workers and upstream calls at once ({@code scale.threads}, 32: a daemon
 *                     that must absorb storms, docs/scale.md)
 * @param loops        the bare claim + commit loop's connection counts ({@code scale.loops}, 8,16,32): the best of
 *                     them is the database's limit here, the storms' baseline
 * @param rounds       rounds of the storms ({@code scale.stormRounds}, 3): each round runs the bare loop, then the storm
 *                     with all daemons, then with one, so that each ratio has its own baseline; the verdict is the
 *                     median ratio (the loop alone moved by a sixth between invocations on this machine)
 * @param warm         refreshes per daemon of a warm-up storm before each measured one ({@code scale.warm}, 4,000): a
 *                     daemon that has run for a while has its refresh path compiled; one started a minute before
 *                     the storm spends the storm's first half in the interpreter and its one C1 thread
 * @param parts        which parts ({@code scale.parts}: {@code start}, {@code storm} (4 daemons and 1), {@code kill};
 *                     and {@code sqlite} when {@code before} is given; {@code announce}, the bare loop with each
 *                     schema's announcing trigger, only when named)
 * @param before       an earlier checkout, built, for the SQLite measurements before and after ({@code scale.before})
 */
public record ScaleSettings(int small, int count, int daemons, int storm, Duration window, Duration lease, int reads,
                            Duration startWithin, Duration lead, Duration drain, int threads, List<Integer> loops,
                            int rounds, int warm, Set<String> parts,
                            Optional<Path> before) {

    /** @return the settings the system properties give */
    public static ScaleSettings fromSystemProperties() {
        return new ScaleSettings(Integer.getInteger("scale.small", 10_000), Integer.getInteger("scale.count", 1_000_000),
                Integer.getInteger("scale.daemons", 4), Integer.getInteger("scale.storm", 100_000),
                seconds("scale.window", 60), seconds("scale.lease", 30), Integer.getInteger("scale.reads", 1_000),
                seconds("scale.startWithin", 300), seconds("scale.lead", 90), seconds("scale.drain", 900),
                Integer.getInteger("scale.threads", 32),
                Stream.of(System.getProperty("scale.loops", "8,16,32").split(",")).map(String::trim).map(Integer::valueOf).toList(),
                Integer.getInteger("scale.stormRounds", 3), Integer.getInteger("scale.warm", 4_000),
                Stream.of(System.getProperty("scale.parts", "start,storm,kill,sqlite").split(",")).map(String::trim)
                        .collect(Collectors.toSet()),
                Optional.ofNullable(System.getProperty("scale.before")).map(folder -> Path.of(folder).toAbsolutePath()));
    }

    /** @return the properties that reproduce these settings */
    public String properties() {
        return "-Dscale.small=" + small + " -Dscale.count=" + count + " -Dscale.daemons=" + daemons + " -Dscale.storm=" + storm
                + " -Dscale.window=" + window.toSeconds() + " -Dscale.lease=" + lease.toSeconds() + " -Dscale.reads=" + reads
                + " -Dscale.threads=" + threads + " -Dscale.loops=" + loops.stream().map(String::valueOf).collect(Collectors.joining(","))
                + " -Dscale.stormRounds=" + rounds + " -Dscale.warm=" + warm + " -Dscale.parts=" + String.join(",", parts) + before.map(folder -> " -Dscale.before=" + folder).orElse("");
    }

    private static Duration seconds(String name, int otherwise) {
        return Duration.ofSeconds(Integer.getInteger(name, otherwise));
    }
}

package dev.tokenkeeper.dist;

import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

import java.util.Comparator;
import java.util.Map;

/**
 * The dist classes in the order that ends the lanes (four classes at once) together: the longest
 * first, the short ones last to fill the gaps ({@code junit.jupiter.testclass.order.default} in
 * junit-platform.properties). JUnit's pool takes classes from both ends of this list: workers from
 * the front, another from the back once it has run the class that keeps its thread
 * ({@link CliEndToEndTest}, SAME_THREAD); {@link KillLoopTest}'s three loops run at once and first, since
 * its methods wait for workers the other classes' methods also want. Without an order the longest could
 * start last and run on while the other lanes idle.
 */
public final class LongestFirst implements ClassOrderer {

    /**
     * Seconds each class took in a run of the module (four at a time, 2 cores, idle machine, session 12;
     * KillLoopTest's loops about 110-125 s each, the class longer because its methods wait for workers).
     * A class not named takes a few seconds or less. Only the order matters: update it when a class's
     * time changes by much.
     */
    private static final Map<Class<?>, Integer> MEASURED_SECONDS = Map.of(
            KillLoopTest.class, 293,
            CliEndToEndTest.class, 218,
            ListenersEndToEndTest.class, 130,
            SharedPostgresDaemonsTest.class, 120,
            CrashBoundaryTest.class, 76,
            ConsoleBrowserTest.class, 68,
            SharedStoreDaemonsTest.class, 62,
            SdkStandaloneBuildTest.class, 60,
            PluginFolderTest.class, 51);

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator
                .comparingInt((ClassDescriptor described) -> -MEASURED_SECONDS.getOrDefault(described.getTestClass(), 0))
                .thenComparing(described -> described.getTestClass().getName()));
    }
}

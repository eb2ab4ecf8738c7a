package dev.tokenkeeper.dist;

import org.junit.jupiter.api.ClassDescriptor;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

import java.util.Comparator;
import java.util.Map;

/**
 * The dist classes in the order that ends the lanes (three classes at once) together: the longest
 * first, the short ones last to fill the gaps ({@code junit.jupiter.testclass.order.default} in
 * junit-platform.properties). JUnit's pool takes classes from both ends of this list: workers from
 * the front, another from the back once it has run the class that keeps its thread
 * ({@link CliEndToEndTest}, SAME_THREAD); {@link KillLoopTest}'s two loops run at once; the @Isolated
 * classes run alone after all of them whatever their place. Without an order the longest could start
 * last and run on while the other lanes idle.
 */
public final class LongestFirst implements ClassOrderer {

    /**
     * Seconds each class took in a whole run of the module (two at a time, 2 cores, idle machine;
     * CliEndToEndTest before five of its tests moved to the inprocess module, about 60 s less).
     * A class not named takes a few seconds or less. Only the order matters: update it when a
     * class's time changes by much.
     */
    private static final Map<Class<?>, Integer> MEASURED_SECONDS = Map.of(
            KillLoopTest.class, 210,
            CliEndToEndTest.class, 207,
            SharedPostgresDaemonsTest.class, 98,
            ListenersEndToEndTest.class, 63,
            SharedStoreDaemonsTest.class, 52,
            CrashBoundaryTest.class, 47,
            SdkStandaloneBuildTest.class, 33,
            ConsoleBrowserTest.class, 32,
            PluginFolderTest.class, 30);

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator
                .comparingInt((ClassDescriptor described) -> -MEASURED_SECONDS.getOrDefault(described.getTestClass(), 0))
                .thenComparing(described -> described.getTestClass().getName()));
    }
}

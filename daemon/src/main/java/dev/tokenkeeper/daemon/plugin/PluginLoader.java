package dev.tokenkeeper.daemon.plugin;

import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds providers and stores: the bundled ones in the boot layer, and those of each jar in the
 * plugins folder, each jar in its own child {@link ModuleLayer} so that a broken jar is skipped
 * without taking the others down.
 */
public final class PluginLoader {

    private PluginLoader() {
    }

    /**
     * @param pluginDirectory the plugins folder, if any
     * @return everything found
     * @throws dev.tokenkeeper.daemon.config.ConfigurationException when the plugins folder, a folder above it
     *         or a jar in it could be changed by a user other than root and this process's own
     *         ({@link PluginFolderCheck}); then no jar of it is opened
     */
    public static Plugins load(Optional<Path> pluginDirectory) {
        Map<String, Discovered<TokenProvider>> providers = new HashMap<>();
        Map<String, Discovered<TokenStore>> stores = new HashMap<>();
        List<PluginProblem> problems = new ArrayList<>();

        ModuleLayer boot = PluginLoader.class.getModule().getLayer();
        ServiceLoader<TokenProvider> bundledProviders = boot == null
                ? ServiceLoader.load(TokenProvider.class) : ServiceLoader.load(boot, TokenProvider.class);
        ServiceLoader<TokenStore> bundledStores = boot == null
                ? ServiceLoader.load(TokenStore.class) : ServiceLoader.load(boot, TokenStore.class);
        collect(bundledProviders, TokenProvider::id, true, Optional.empty(), providers, problems, "bundled");
        collect(bundledStores, TokenStore::id, true, Optional.empty(), stores, problems, "bundled");

        for (Path jar : jars(pluginDirectory, problems)) {
            Optional<ModuleLayer> layer = layerFor(jar, boot == null ? ModuleLayer.boot() : boot, problems);
            layer.ifPresent(l -> {
                // ServiceLoader.load(layer, ...) also walks the parent layers: keep only this jar's own.
                collect(ServiceLoader.load(l, TokenProvider.class), TokenProvider::id, false, Optional.of(l), providers,
                        problems, jar.getFileName().toString());
                collect(ServiceLoader.load(l, TokenStore.class), TokenStore::id, false, Optional.of(l), stores,
                        problems, jar.getFileName().toString());
            });
        }
        return new Plugins(providers, stores, problems);
    }

    private static List<Path> jars(Optional<Path> folder, List<PluginProblem> problems) {
        if (folder.isEmpty()) {
            return List.of();
        }
        try {
            return PluginFolderCheck.jars(folder.get());
        } catch (IOException e) {
            problems.add(new PluginProblem(folder.get().toString(), "cannot list the plugins folder: " + e.getMessage()));
            return List.of();
        }
    }

    private static Optional<ModuleLayer> layerFor(Path jar, ModuleLayer parent, List<PluginProblem> problems) {
        String name = jar.getFileName().toString();
        try {
            ModuleFinder finder = ModuleFinder.of(jar);
            Set<String> roots = finder.findAll().stream()
                    .map(ModuleReference::descriptor)
                    .map(descriptor -> descriptor.name())
                    .collect(Collectors.toSet());
            if (roots.isEmpty()) {
                problems.add(new PluginProblem(name, "not a module jar"));
                return Optional.empty();
            }
            Configuration configuration = parent.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
            return Optional.of(parent.defineModulesWithOneLoader(configuration, PluginLoader.class.getClassLoader()));
        } catch (FindException | ResolutionException | LayerInstantiationException | SecurityException e) {
            // The launcher starts on the module path when the plugins folder holds jars; started otherwise,
            // the api module a plugin reads is not in the boot layer.
            String hint = PluginLoader.class.getModule().isNamed() ? ""
                    : " (this process runs on the class path, where a plugin cannot read the api module: start it"
                    + " through bin/tokenkeeper, which uses the module path when the plugins folder holds jars)";
            problems.add(new PluginProblem(name, oneLine(e) + hint));
            return Optional.empty();
        }
    }

    private static <T> void collect(ServiceLoader<T> loader, Function<T, String> id, boolean bundled,
                                    Optional<ModuleLayer> onlyLayer, Map<String, Discovered<T>> found,
                                    List<PluginProblem> problems, String source) {
        var iterator = loader.stream().iterator();
        // A broken service entry throws from hasNext/next; the iterator moves past it, so keep going
        // (bounded, in case a loader keeps failing on the same entry).
        for (int attempts = 0; attempts < 1_000; attempts++) {
            try {
                if (!iterator.hasNext()) {
                    return;
                }
                ServiceLoader.Provider<T> provider = iterator.next();
                if (onlyLayer.isPresent() && provider.type().getModule().getLayer() != onlyLayer.get()) {
                    continue;
                }
                T instance = provider.get();
                String key = id.apply(instance);
                Optional<String> badId = instance instanceof TokenProvider ? ProviderIds.problem(key) : Optional.empty();
                if (badId.isPresent()) {
                    problems.add(new PluginProblem(source, provider.type().getName() + " refused: " + badId.get()));
                    continue;
                }
                if (found.containsKey(key)) {
                    Discovered<T> first = found.get(key);
                    problems.add(new PluginProblem(source, "duplicate id '" + key + "': " + provider.type().getName()
                            + " ignored, " + first.plugin().getClass().getName() + " from "
                            + first.origin().jar().map(j -> j.substring(j.lastIndexOf('/') + 1)).orElse("?")
                            + " already has it"));
                    continue;
                }
                found.put(key, new Discovered<>(instance, PluginOrigin.of(provider.type(), bundled)));
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                // Reported once, by whoever shows the problems (start-up log, providers, doctor).
                problems.add(new PluginProblem(source, oneLine(e)));
            }
        }
    }

    /**
     * The exception's message and each cause's, on one line, each said once: the JDK wraps the
     * useful words ("Package x not found in module", a constructor's own message, "zip END header
     * not found") in a generic outer message.
     */
    static String oneLine(Throwable e) {
        List<String> parts = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName()
                    : t.getMessage();
            message = message.replaceAll("\\s+", " ").strip();
            boolean said = false;
            for (String part : parts) {
                if (part.contains(message)) {
                    said = true;
                }
            }
            if (!said) {
                if (t != e && !message.contains(t.getClass().getSimpleName())) {
                    message = t.getClass().getSimpleName() + ": " + message;
                }
                parts.add(message);
            }
        }
        return String.join(": caused by ", parts);
    }
}

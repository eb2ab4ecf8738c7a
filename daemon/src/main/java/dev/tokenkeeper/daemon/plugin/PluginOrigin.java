package dev.tokenkeeper.daemon.plugin;

import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a provider or store came from, for {@code tokenkeeper providers} and {@code /api/v1/providers}.
 * <p>
 * On the class path (the launcher's start without plugin jars) a bundled provider's class is in the
 * unnamed module; its module's name and version are then read from its jar's descriptor, when first
 * asked for, not while the daemon starts.
 */
public final class PluginOrigin {

    private final Class<?> type;
    private final Optional<String> jar;
    private final boolean bundled;
    private volatile Identity identity;

    private record Identity(String module, Optional<String> version) {
    }

    /**
     * @param module  the JPMS module name
     * @param version the module version, if the jar declares one
     * @param jar     the jar file, if known
     * @param bundled true for the jars shipped in lib/, false for the plugins folder
     */
    public PluginOrigin(String module, Optional<String> version, Optional<String> jar, boolean bundled) {
        this.type = null;
        this.jar = jar;
        this.bundled = bundled;
        this.identity = new Identity(Objects.requireNonNull(module, "module"), version);
    }

    private PluginOrigin(Class<?> type, Optional<String> jar, boolean bundled) {
        this.type = type;
        this.jar = jar;
        this.bundled = bundled;
    }

    static PluginOrigin of(Class<?> type, boolean bundled) {
        Optional<String> jar = Optional.ofNullable(type.getProtectionDomain().getCodeSource())
                .map(source -> source.getLocation())
                .map(Object::toString);
        return new PluginOrigin(type, jar, bundled);
    }

    /** @return the JPMS module name ("unnamed" for a class-path jar without a module descriptor) */
    public String module() {
        return identity().module();
    }

    /** @return the module version, or the jar's {@code Implementation-Version} */
    public Optional<String> version() {
        return identity().version();
    }

    /** @return the jar file, if known */
    public Optional<String> jar() {
        return jar;
    }

    /** @return true for the jars shipped in lib/, false for the plugins folder */
    public boolean bundled() {
        return bundled;
    }

    private Identity identity() {
        Identity known = identity;
        if (known == null) {
            Module module = type.getModule();
            known = module.isNamed() ? identity(module.getDescriptor(), module.getName()) : fromJar();
            if (known.version().isEmpty()) {
                known = new Identity(known.module(), Optional.ofNullable(type.getPackage().getImplementationVersion()));
            }
            identity = known;
        }
        return known;
    }

    private Identity fromJar() {
        Optional<ModuleDescriptor> descriptor;
        try {
            descriptor = jar.flatMap(PluginOrigin::path)
                    .flatMap(path -> ModuleFinder.of(path).findAll().stream().findFirst())
                    .map(ModuleReference::descriptor)
                    .filter(found -> !found.isAutomatic());
        } catch (FindException e) {
            descriptor = Optional.empty();
        }
        return descriptor.map(found -> identity(found, found.name())).orElseGet(() -> new Identity("unnamed", Optional.empty()));
    }

    private static Identity identity(ModuleDescriptor descriptor, String name) {
        return new Identity(name, descriptor == null ? Optional.empty() : descriptor.rawVersion());
    }

    private static Optional<Path> path(String location) {
        try {
            return Optional.of(Path.of(new URL(location).toURI()));
        } catch (URISyntaxException | MalformedURLException | IllegalArgumentException | FileSystemNotFoundException e) {
            return Optional.empty();
        }
    }
}

package dev.tokenkeeper.daemon.plugin;

import java.util.Optional;

/**
 * Where a provider or store came from, for {@code tokenkeeper providers}.
 *
 * @param module  the JPMS module name (or "unnamed" on the class path)
 * @param version the module version, if the jar declares one
 * @param jar     the jar file, if known
 * @param bundled true for the jars shipped in lib/, false for the plugins folder
 */
public record PluginOrigin(String module, Optional<String> version, Optional<String> jar, boolean bundled) {

    static PluginOrigin of(Class<?> type, boolean bundled) {
        Module module = type.getModule();
        Optional<String> version = module.getDescriptor() == null ? Optional.empty()
                : module.getDescriptor().rawVersion();
        Optional<String> jar = Optional.ofNullable(type.getProtectionDomain().getCodeSource())
                .map(source -> source.getLocation())
                .map(Object::toString);
        if (version.isEmpty()) {
            version = Optional.ofNullable(type.getPackage().getImplementationVersion());
        }
        return new PluginOrigin(module.isNamed() ? module.getName() : "unnamed", version, jar, bundled);
    }
}

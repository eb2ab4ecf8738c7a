package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.plugin.PluginLoader;
import dev.tokenkeeper.daemon.plugin.Plugins;

import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** The import forms of every installed provider, for {@code tokenkeeper import --help}. */
final class ImportForms {

    /** CLI flag of each {@code SecretInput} form. */
    private static final Map<String, String> FLAGS = Map.of("cookie", "--cookie", "cookie-file", "--cookie-file",
            "token-json", "--token-json", "authorization-code", "`tokenkeeper authorize`");

    private ImportForms() {
    }

    static String describe(CommonOptions common) {
        Plugins plugins;
        try {
            plugins = PluginLoader.load(common == null ? Optional.empty() : common.config().pluginDirectory());
        } catch (RuntimeException e) {
            return "  (cannot list the installed providers: " + e.getMessage() + ")\n";
        }
        if (plugins.providers().isEmpty()) {
            return "  (no provider installed)\n";
        }
        StringBuilder out = new StringBuilder();
        plugins.providers().forEach((id, found) -> {
            TreeSet<String> flags = new TreeSet<>();
            found.plugin().importForms().forEach(form -> flags.add(FLAGS.getOrDefault(form, form)));
            out.append(String.format("  %-10s %s%n", id, flags.isEmpty()
                    ? "(does not say; see `tokenkeeper providers`)" : String.join(", ", flags)));
        });
        return out.toString();
    }
}

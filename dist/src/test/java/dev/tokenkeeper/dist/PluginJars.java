package dev.tokenkeeper.dist;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Compiles a plugin module from source against the distribution's api jar and packages it. */
final class PluginJars {

    private PluginJars() {
    }

    /** The distribution's api jar. */
    static Path apiJar() throws IOException {
        try (Stream<Path> lib = Files.list(DaemonProcess.distribution().resolve("lib"))) {
            return lib.filter(p -> p.getFileName().toString().matches("api-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no api jar in the distribution's lib/"));
        }
    }

    /**
     * @param work    a scratch folder
     * @param jar     the jar to write
     * @param sources file path (relative, e.g. {@code com/x/A.java} or {@code module-info.java}) to text
     * @param keep    which compiled entries go into the jar (to build a jar that lacks a class)
     */
    static Path build(Path work, Path jar, Map<String, String> sources, Predicate<String> keep) throws IOException {
        return build(work, jar, sources, keep, List.of());
    }

    /** @param modulePath more module jars to compile against (not shipped) */
    static Path build(Path work, Path jar, Map<String, String> sources, Predicate<String> keep, List<Path> modulePath)
            throws IOException {
        return build(work, jar, sources, keep, modulePath, null);
    }

    /** @param version the module's version and the jar's {@code Implementation-Version} (null: none) */
    static Path build(Path work, Path jar, Map<String, String> sources, Predicate<String> keep, List<Path> modulePath,
                      String version) throws IOException {
        Path src = Files.createDirectories(work.resolve("src"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "--module-path",
                Stream.concat(Stream.of(apiJar()), modulePath.stream()).map(Path::toString)
                        .collect(Collectors.joining(java.io.File.pathSeparator)),
                "-d", Files.createDirectories(work.resolve("classes")).toString()));
        if (version != null) {
            args.addAll(List.of("--module-version", version));
        }
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = src.resolve(source.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            args.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int result = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        if (result != 0) {
            throw new IllegalStateException("javac:\n" + diagnostics.toString(StandardCharsets.UTF_8));
        }
        Path classes = work.resolve("classes");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (version != null) {
            manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (Path f : files) {
                String name = classes.relativize(f).toString().replace('\\', '/');
                if (!keep.test(name)) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    /** A minimal provider class: {@code id()} as given, an optional constructor body. */
    static String provider(String pkg, String type, String id, String constructorBody) {
        return """
                package %1$s;

                import dev.tokenkeeper.api.*;

                public final class %2$s implements TokenProvider {
                    public %2$s() {
                        %4$s
                    }
                    @Override public String id() { return "%3$s"; }
                    @Override public ImportedSecret importSecret(SecretInput input) throws InvalidSecretException {
                        throw new InvalidSecretException("takes nothing");
                    }
                    @Override public ValidationResult validate(SecretMaterial secret) { return new ValidationResult.Accepted(); }
                    @Override public RefreshResult refresh(SecretMaterial secret) { return new RefreshResult.PermanentFailure("none"); }
                    @Override public Presentation present(SecretMaterial secret) { throw new IllegalStateException("none"); }
                }
                """.formatted(pkg, type, id, constructorBody);
    }

    /** A module-info providing one TokenProvider, with extra requires. */
    static String moduleInfo(String module, String providerClass, String... requires) {
        StringBuilder extra = new StringBuilder();
        for (String r : requires) {
            extra.append("    requires ").append(r).append(";\n");
        }
        return "module " + module + " {\n    requires dev.tokenkeeper.api;\n" + extra
                + "    provides dev.tokenkeeper.api.TokenProvider with " + providerClass + ";\n}\n";
    }
}

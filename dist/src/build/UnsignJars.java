import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites each signed jar in a folder without its signature files ({@code META-INF/*.SF} and the
 * signature blocks) and with only the main section of its manifest (the per-entry sections are the
 * signature's digests), every other entry byte for byte, in the same order.
 *
 * <p>Why: the JVM verifies a signed jar's signature when it first opens one of its entries. On the
 * module path that happens at every start, for BouncyCastle's three signed multi-release jars, while
 * the module system reads their module descriptors: about 0.2 s of CPU before {@code main} runs, in
 * the daemon and in every CLI command. The signature protects nothing here: OpenJDK does not require
 * a signed JCE provider, the build already checked each jar's checksum against Maven Central, and the
 * .deb's md5sums cover the installed files.
 *
 * <p>The digests go too: a class the AppCDS archive serves from a jar makes the JVM parse that jar's
 * whole manifest once (to define its packages), and bcprov's is 843 KB of digests, one per class:
 * about 40 ms of the daemon's start, parsed for nothing once the signature is gone.
 *
 * <p>Run at build time: {@code java UnsignJars.java DIR}.
 */
public final class UnsignJars {

    private UnsignJars() {
    }

    public static void main(String[] args) throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(Path.of(args[0]), "*.jar")) {
            for (Path jar : jars) {
                if (signed(jar)) {
                    unsign(jar);
                    System.out.println("signature files removed: " + jar.getFileName());
                }
            }
        }
    }

    private static boolean signed(Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.stream().anyMatch(entry -> signatureFile(entry.getName()));
        }
    }

    /** The files jarsigner adds next to the manifest. */
    private static boolean signatureFile(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return upper.startsWith("META-INF/") && upper.indexOf('/', "META-INF/".length()) < 0
                && (upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC"));
    }

    private static void unsign(Path jar) throws IOException {
        Path unsigned = jar.resolveSibling(jar.getFileName() + ".unsigned");
        try (ZipFile zip = new ZipFile(jar.toFile());
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(unsigned))) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (signatureFile(entry.getName())) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                try (InputStream in = zip.getInputStream(entry)) {
                    if (entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                        Manifest manifest = new Manifest(in);
                        manifest.getEntries().clear();
                        manifest.write(out);
                    } else {
                        in.transferTo(out);
                    }
                }
                out.closeEntry();
            }
        }
        Files.move(unsigned, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

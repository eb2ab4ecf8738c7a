import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Removes {@code provides java.security.Provider with ...} from the module descriptors of the jars
 * named, every other byte of the descriptor and every other entry as they are.
 *
 * <p>Why: on the module path the JDK finds its own SunEC provider (in {@code jdk.crypto.ec}) through
 * a {@code ServiceLoader} over {@code java.security.Provider}, which asks the application's modules
 * first and instantiates every provider it meets until one is named SunEC. With BouncyCastle's
 * {@code bcprov} on the module path, the first TLS set-up of a daemon start (the providers' HTTP
 * clients) therefore built {@code BouncyCastleProvider} and {@code BouncyCastlePQCProvider}: about
 * 700 classes and thousands of algorithm entries, then thrown away, since the JCA only uses the
 * providers listed in {@code java.security}. tokenkeeper calls BouncyCastle's classes directly (its
 * lightweight API: AES-GCM, HKDF, Argon2, PEM parsing) and never asks the JCA for provider "BC".
 * On the class path nothing changes: there the JDK's modules are asked first, so BouncyCastle's
 * {@code META-INF/services} entry, kept, is never reached.
 *
 * <p>Run at build time: {@code java DropJcaProviders.java DIR GLOB}, e.g. {@code lib 'bcprov-*.jar'}; a
 * descriptor without the service (already rewritten) stays as it is.
 */
public final class DropJcaProviders {

    private static final String VERSIONS = "META-INF/versions/";
    private static final String SERVICE = "java/security/Provider";
    private static final int UTF8 = 1;
    private static final int CLASS = 7;
    private static final int LONG = 5;
    private static final int DOUBLE = 6;

    private DropJcaProviders() {
    }

    public static void main(String[] args) throws IOException {
        int jars = 0;
        try (DirectoryStream<Path> found = Files.newDirectoryStream(Path.of(args[0]), args[1])) {
            for (Path jar : found) {
                jars++;
                if (dropFrom(jar) > 0) {
                    System.out.println("java.security.Provider no longer provided: " + jar.getFileName());
                }
            }
        }
        if (jars == 0) {
            throw new IOException("no jar " + args[1] + " in " + args[0] + ": drop the build step or name the jar anew");
        }
    }

    /** @return how many module descriptors lost the service */
    private static int dropFrom(Path jar) throws IOException {
        Map<String, byte[]> rewritten = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (name.equals("module-info.class") || (name.startsWith(VERSIONS) && name.endsWith("/module-info.class"))) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        byte[] without = withoutProvider(in.readAllBytes());
                        if (without != null) {
                            rewritten.put(name, without);
                        }
                    }
                }
            }
        }
        if (!rewritten.isEmpty()) {
            try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
                for (Map.Entry<String, byte[]> e : rewritten.entrySet()) {
                    Files.write(fs.getPath(e.getKey()), e.getValue());
                }
            }
        }
        return rewritten.size();
    }

    /**
     * @return the class file without the {@code provides} entry of {@code java.security.Provider} in
     *         its {@code Module} attribute, or null when it has none
     */
    static byte[] withoutProvider(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile));
        in.skipNBytes(8); // magic, minor, major
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[] classNames = new int[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case UTF8 -> utf8[i] = in.readUTF();
                case CLASS -> classNames[i] = in.readUnsignedShort();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                case LONG, DOUBLE -> {
                    in.skipNBytes(8);
                    i++;
                }
                case 8, 16, 19, 20 -> in.skipNBytes(2);
                case 15 -> in.skipNBytes(3);
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        in.skipNBytes(6); // access flags, this_class, super_class
        for (int table = 0; table < 3; table++) { // interfaces, fields, methods: none in a module-info
            if (in.readUnsignedShort() != 0) {
                throw new IOException("not a module descriptor");
            }
        }
        int attributes = in.readUnsignedShort();
        for (int a = 0; a < attributes; a++) {
            int attributeAt = classFile.length - in.available();
            String attribute = utf8[in.readUnsignedShort()];
            int length = in.readInt();
            if (!"Module".equals(attribute)) {
                in.skipNBytes(length);
                continue;
            }
            in.skipNBytes(6); // name, flags, version
            in.skipNBytes(6L * in.readUnsignedShort()); // requires
            for (int table = 0; table < 2; table++) { // exports, opens
                int entries = in.readUnsignedShort();
                for (int e = 0; e < entries; e++) {
                    in.skipNBytes(4);
                    in.skipNBytes(2L * in.readUnsignedShort());
                }
            }
            in.skipNBytes(2L * in.readUnsignedShort()); // uses
            int providesAt = classFile.length - in.available();
            int provides = in.readUnsignedShort();
            for (int p = 0; p < provides; p++) {
                int entryAt = classFile.length - in.available();
                int service = in.readUnsignedShort();
                int entryLength = 4 + 2 * in.readUnsignedShort();
                in.skipNBytes(entryLength - 4);
                if (SERVICE.equals(utf8[classNames[service]])) {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream(classFile.length);
                    DataOutputStream out = new DataOutputStream(bytes);
                    out.write(classFile, 0, attributeAt + 2);
                    out.writeInt(length - entryLength);
                    out.write(classFile, attributeAt + 6, providesAt - attributeAt - 6);
                    out.writeShort(provides - 1);
                    out.write(classFile, providesAt + 2, entryAt - providesAt - 2);
                    out.write(classFile, entryAt + entryLength, classFile.length - entryAt - entryLength);
                    out.flush();
                    return bytes.toByteArray();
                }
            }
            return null;
        }
        return null;
    }
}

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.lang.model.SourceVersion;

/**
 * Adds the {@code ModulePackages} attribute to the module descriptor of each modular jar in a folder
 * that lacks it, listing the packages the jar holds; every other entry stays as it is.
 *
 * <p>Why: without that attribute the module system finds a module's packages by walking every entry
 * of its jar (and, in a multi-release jar, every versioned entry) at every start, before
 * {@code main} runs. BouncyCastle's {@code bcprov} alone (6,000 entries) cost about 0.1 s of CPU
 * there; the attribute, which {@code jar} itself writes when it makes a modular jar, leaves it a
 * lookup. The packages listed are the ones the module system would have found: the folder of every
 * file that is not a folder, in the base and in every {@code META-INF/versions/N/} part, when it is
 * a valid package name.
 *
 * <p>Run at build time: {@code java AddModulePackages.java DIR}.
 */
public final class AddModulePackages {

    private static final String VERSIONS = "META-INF/versions/";
    private static final int UTF8 = 1;
    private static final int LONG = 5;
    private static final int DOUBLE = 6;
    private static final int PACKAGE = 20;

    private AddModulePackages() {
    }

    public static void main(String[] args) throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(Path.of(args[0]), "*.jar")) {
            for (Path jar : jars) {
                int rewritten = addTo(jar);
                if (rewritten > 0) {
                    System.out.println("ModulePackages added: " + jar.getFileName());
                }
            }
        }
    }

    /** @return how many module descriptors got the attribute */
    private static int addTo(Path jar) throws IOException {
        Set<String> packages = new TreeSet<>();
        List<String> descriptors = new ArrayList<>();
        Map<String, byte[]> extended = new java.util.HashMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                if (name.equals("module-info.class") || (name.startsWith(VERSIONS) && name.endsWith("/module-info.class"))) {
                    descriptors.add(name);
                }
                String path = name.startsWith(VERSIONS) ? name.substring(name.indexOf('/', VERSIONS.length()) + 1) : name;
                int slash = path.lastIndexOf('/');
                String pkg = slash < 0 ? "" : path.substring(0, slash).replace('/', '.');
                if (!pkg.isEmpty() && SourceVersion.isName(pkg)) {
                    packages.add(pkg);
                }
            }
            for (String descriptor : descriptors) {
                try (InputStream in = zip.getInputStream(zip.getEntry(descriptor))) {
                    byte[] with = withPackages(in.readAllBytes(), packages);
                    if (with != null) {
                        extended.put(descriptor, with);
                    }
                }
            }
        }
        if (!extended.isEmpty()) {
            try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
                for (Map.Entry<String, byte[]> e : extended.entrySet()) {
                    Files.write(fs.getPath(e.getKey()), e.getValue());
                }
            }
        }
        return extended.size();
    }

    /**
     * @return the class file with a {@code ModulePackages} attribute (its names and package entries
     *         appended to the constant pool), or null when it already has one
     */
    static byte[] withPackages(byte[] classFile, Set<String> packages) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile));
        in.readInt(); // magic
        in.readUnsignedShort(); // minor
        in.readUnsignedShort(); // major
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case UTF8 -> utf8[i] = in.readUTF();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                case LONG, DOUBLE -> {
                    in.skipNBytes(8);
                    i++;
                }
                case 7, 8, 16, 19, PACKAGE -> in.skipNBytes(2);
                case 15 -> in.skipNBytes(3);
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        int poolEnd = classFile.length - in.available();
        in.skipNBytes(6); // access flags, this_class, super_class
        for (int table = 0; table < 3; table++) { // interfaces, fields, methods: none in a module-info
            if (in.readUnsignedShort() != 0) {
                throw new IOException("not a module descriptor");
            }
        }
        int attributesAt = classFile.length - in.available();
        int attributes = in.readUnsignedShort();
        for (int a = 0; a < attributes; a++) {
            if ("ModulePackages".equals(utf8[in.readUnsignedShort()])) {
                return null;
            }
            in.skipNBytes(in.readInt());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(classFile.length + 16 * packages.size());
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(classFile, 0, 8);
        int next = count;
        out.writeShort(count + 1 + 2 * packages.size());
        out.write(classFile, 10, poolEnd - 10);
        int attributeName = next++;
        out.writeByte(UTF8);
        out.writeUTF("ModulePackages");
        List<Integer> packageEntries = new ArrayList<>();
        for (String pkg : packages) {
            out.writeByte(UTF8);
            out.writeUTF(pkg.replace('.', '/'));
            out.writeByte(PACKAGE);
            out.writeShort(next);
            packageEntries.add(next + 1);
            next += 2;
        }
        out.write(classFile, poolEnd, attributesAt - poolEnd);
        out.writeShort(attributes + 1);
        out.write(classFile, attributesAt + 2, classFile.length - attributesAt - 2);
        out.writeShort(attributeName);
        out.writeInt(2 + 2 * packageEntries.size());
        out.writeShort(packageEntries.size());
        for (int entry : packageEntries) {
            out.writeShort(entry);
        }
        out.flush();
        return bytes.toByteArray();
    }
}

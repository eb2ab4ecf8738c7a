package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.api.SecretMaterial;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The plaintext form of {@link SecretMaterial} inside a sealed secret: a big-endian int field
 * count, then for each field (in name order) an int length and the UTF-8 bytes of the name, an
 * int length and the UTF-8 bytes of the value. This is the layout {@code DataOutputStream.writeInt}
 * plus raw bytes would give, built in one exact-size array so it can be zeroed after use.
 */
final class MaterialCodec {

    private MaterialCodec() {
    }

    /**
     * @param material the fields
     * @return the encoded bytes; the caller zeroes them after use
     */
    static byte[] encode(SecretMaterial material) {
        Map<String, String> fields = material.fields();
        byte[][] parts = new byte[fields.size() * 2][];
        int size = Integer.BYTES;
        int i = 0;
        // SecretMaterial keeps its map sorted by name, so the order is stable.
        for (Map.Entry<String, String> field : fields.entrySet()) {
            parts[i] = field.getKey().getBytes(StandardCharsets.UTF_8);
            parts[i + 1] = field.getValue().getBytes(StandardCharsets.UTF_8);
            size = Math.addExact(size, 2 * Integer.BYTES + parts[i].length + parts[i + 1].length);
            i += 2;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putInt(fields.size());
        for (byte[] part : parts) {
            out.putInt(part.length).put(part);
            Arrays.fill(part, (byte) 0);
        }
        return out.array();
    }

    /**
     * @param plain encoded bytes (already authenticated by GCM)
     * @return the material
     * @throws IllegalArgumentException when the bytes are not a valid encoding (the message says
     *                                  what is structurally wrong, never quotes content)
     */
    static SecretMaterial decode(byte[] plain) {
        ByteBuffer in = ByteBuffer.wrap(plain);
        try {
            int count = in.getInt();
            // Each field needs at least two length ints.
            if (count < 0 || count > in.remaining() / (2 * Integer.BYTES)) {
                throw new IllegalArgumentException("field count out of range");
            }
            Map<String, String> fields = new HashMap<>(count * 2);
            for (int i = 0; i < count; i++) {
                String name = string(in);
                String value = string(in);
                if (fields.putIfAbsent(name, value) != null) {
                    throw new IllegalArgumentException("duplicate field name");
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after the last field");
            }
            return new SecretMaterial(fields);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated field");
        }
    }

    private static boolean ascii(byte[] bytes, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    private static String string(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("field length out of range");
        }
        ByteBuffer slice = in.slice().limit(length);
        in.position(in.position() + length);
        if (ascii(in.array(), in.arrayOffset() + in.position() - length, length)) {
            // Tokens and field names are ASCII: no decoder (and its buffers) for them, one copy.
            return new String(in.array(), in.arrayOffset() + in.position() - length, length, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("field is not valid UTF-8");
        }
    }
}

package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The one JSON configuration of the control API: ISO-8601 instants, Optionals unwrapped. */
public final class Json {

    /**
     * No request of the API nests deeper than a handful of levels; 64 leaves room and stops a
     * 60,000-deep array long before it costs stack or memory.
     */
    public static final int MAX_NESTING_DEPTH = 64;
    /** A token or a cookie file is far smaller; the HTTP body cap (1 MiB) bounds it anyway. */
    public static final int MAX_STRING_LENGTH = 1024 * 1024;

    /** Shared, thread-safe mapper. */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNumberLength(64)
                    .build())
            .build())
            .registerModule(new Jdk8Module())
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Json() {
    }
}

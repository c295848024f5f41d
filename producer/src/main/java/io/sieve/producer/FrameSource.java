package io.sieve.producer;

import java.util.OptionalLong;

/** Where frames come from. {@link #next} returns null at the end; a bad input is a {@link SourceException}. */
public interface FrameSource extends AutoCloseable {
    String describe();

    SourceFrame next();

    /** How many frames the source will give, when known in advance. */
    OptionalLong expectedFrames();

    @Override
    default void close() {
    }
}

package io.sieve.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The width and height frames are published at. */
record FrameSize(int width, int height) {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    FrameSize {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a frame size must be positive, got " + width + "x" + height);
        }
    }

    /** {@code WxH}, e.g. 224x224. */
    static FrameSize parse(String text) {
        Matcher m = FORMAT.matcher(text.trim().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("frame size '" + text + "' is not WIDTHxHEIGHT, e.g. 224x224");
        }
        return new FrameSize(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}

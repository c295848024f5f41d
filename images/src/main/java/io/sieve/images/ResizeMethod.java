package io.sieve.images;

import java.util.Arrays;
import java.util.Locale;

/**
 * How an image is brought to a model's input size. Part of a model card, because a model is only
 * as accurate as the preprocessing it was trained with.
 */
public enum ResizeMethod {
    /** Each output pixel is the mean of the source area it covers (box filter); the aspect ratio follows the target. */
    AREA("area"),
    /** Bilinear interpolation between the four nearest source pixels; the aspect ratio follows the target. */
    BILINEAR("bilinear"),
    /** The largest centred crop with the target's aspect ratio, then {@link #AREA}: nothing is stretched. */
    CENTER_CROP("center-crop");

    private final String cardName;

    ResizeMethod(String cardName) {
        this.cardName = cardName;
    }

    /** The name model cards use. */
    public String cardName() {
        return cardName;
    }

    public static ResizeMethod parse(String name) {
        for (ResizeMethod m : values()) {
            if (m.cardName.equals(name.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown resize method '" + name + "'; known: "
                + Arrays.stream(values()).map(ResizeMethod::cardName).toList());
    }
}

package io.sieve.cascade.model;

import io.sieve.images.Image;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

public final class Fixtures {
    private Fixtures() {
    }

    public static Path card(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name + ".card.json").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Image randomImage(Random random, Image.Layout layout) {
        byte[] pixels = new byte[32 * 32 * 3];
        random.nextBytes(pixels);
        return new Image(32, 32, 3, layout, pixels);
    }

    /** {@code count} random 32x32 CHW images drawn from {@code seed}. */
    public static List<Image> randomImages(long seed, int count) {
        Random random = new Random(seed);
        List<Image> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(randomImage(random, Image.Layout.CHW));
        }
        return images;
    }

    /** The same picture in the other layout. */
    public static Image toHwc(Image chw) {
        byte[] hwc = new byte[chw.pixels().length];
        int plane = chw.width() * chw.height();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                hwc[3 * i + c] = chw.pixels()[c * plane + i];
            }
        }
        return new Image(chw.width(), chw.height(), 3, Image.Layout.HWC, hwc);
    }
}

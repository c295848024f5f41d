package io.sieve.producer;

import io.sieve.images.Image;
import java.awt.image.BufferedImage;

/**
 * Brings any picture to the models' input size: a centred crop to the target's aspect ratio (so
 * nothing is stretched), then a box-filter (area-average) downscale, in which each output pixel is
 * the mean of the source pixels it covers, with fractional weights at the edges. Area averaging is
 * what keeps small objects visible at 32x32 instead of the aliasing that nearest-neighbour or plain
 * bilinear sampling gives.
 */
public final class Resizer {
    private Resizer() {
    }

    public static Image toModelInput(BufferedImage source, int width, int height) {
        int sw = source.getWidth();
        int sh = source.getHeight();
        double targetAspect = (double) width / height;
        int cropW = sw;
        int cropH = sh;
        if ((double) sw / sh > targetAspect) {
            cropW = (int) Math.round(sh * targetAspect);
        } else {
            cropH = (int) Math.round(sw / targetAspect);
        }
        int x0 = (sw - cropW) / 2;
        int y0 = (sh - cropH) / 2;
        int[] rgb = source.getRGB(x0, y0, cropW, cropH, null, 0, cropW);
        return areaAverage(rgb, cropW, cropH, width, height);
    }

    /** Area-average downscale (or upscale, by replication) of packed 0xRRGGBB pixels to interleaved RGB bytes. */
    static Image areaAverage(int[] rgb, int sw, int sh, int width, int height) {
        byte[] out = new byte[width * height * 3];
        double sx = (double) sw / width;
        double sy = (double) sh / height;
        for (int oy = 0; oy < height; oy++) {
            double top = oy * sy;
            double bottom = top + sy;
            for (int ox = 0; ox < width; ox++) {
                double left = ox * sx;
                double right = left + sx;
                double r = 0;
                double g = 0;
                double b = 0;
                double area = 0;
                for (int y = (int) top; y < Math.min(sh, Math.ceil(bottom)); y++) {
                    double wy = Math.min(bottom, y + 1) - Math.max(top, y);
                    for (int x = (int) left; x < Math.min(sw, Math.ceil(right)); x++) {
                        double w = wy * (Math.min(right, x + 1) - Math.max(left, x));
                        int p = rgb[y * sw + x];
                        r += w * ((p >> 16) & 0xff);
                        g += w * ((p >> 8) & 0xff);
                        b += w * (p & 0xff);
                        area += w;
                    }
                }
                int o = 3 * (oy * width + ox);
                out[o] = (byte) Math.round(r / area);
                out[o + 1] = (byte) Math.round(g / area);
                out[o + 2] = (byte) Math.round(b / area);
            }
        }
        return new Image(width, height, 3, Image.Layout.HWC, out);
    }
}

package io.sieve.images;

/**
 * Brings an image to a size by one of the {@link ResizeMethod}s. Area averaging is what keeps small
 * objects visible at 32x32 instead of the aliasing that nearest-neighbour or plain bilinear
 * sampling give when shrinking by large factors; bilinear is what many models were trained with.
 * An image already at the asked size is returned as it is, without a copy.
 */
public final class Resize {
    private Resize() {
    }

    public static Image to(Image source, int width, int height, ResizeMethod method) {
        if (source.width() == width && source.height() == height) {
            return source;
        }
        Samples samples = new Samples(source);
        return switch (method) {
            case AREA -> areaAverage(samples, 0, 0, source.width(), source.height(), width, height);
            case BILINEAR -> bilinear(samples, width, height);
            case CENTER_CROP -> {
                int[] crop = centreCrop(source.width(), source.height(), width, height);
                yield areaAverage(samples, crop[0], crop[1], crop[2], crop[3], width, height);
            }
        };
    }

    /** {x0, y0, width, height} of the largest centred crop of a {@code sw} x {@code sh} image with the target's aspect ratio. */
    static int[] centreCrop(int sw, int sh, int width, int height) {
        double targetAspect = (double) width / height;
        int cropW = sw;
        int cropH = sh;
        if ((double) sw / sh > targetAspect) {
            cropW = Math.max(1, (int) Math.round(sh * targetAspect));
        } else {
            cropH = Math.max(1, (int) Math.round(sw / targetAspect));
        }
        return new int[] {(sw - cropW) / 2, (sh - cropH) / 2, cropW, cropH};
    }

    /** Reads channel {@code c} of pixel (x, y) whatever the layout. */
    private record Samples(byte[] px, int width, int height, int channels, boolean planar) {
        Samples(Image image) {
            this(image.pixels(), image.width(), image.height(), image.channels(), image.layout() == Image.Layout.CHW);
        }

        int at(int x, int y, int c) {
            int i = y * width + x;
            return px[planar ? c * width * height + i : channels * i + c] & 0xff;
        }
    }

    /** Area average of the region (x0, y0, cw, ch) to width x height; upscaling replicates pixels. */
    private static Image areaAverage(Samples s, int x0, int y0, int cw, int ch, int width, int height) {
        int channels = s.channels();
        byte[] out = new byte[width * height * channels];
        double sx = (double) cw / width;
        double sy = (double) ch / height;
        double[] sum = new double[channels];
        for (int oy = 0; oy < height; oy++) {
            double top = oy * sy;
            double bottom = top + sy;
            for (int ox = 0; ox < width; ox++) {
                double left = ox * sx;
                double right = left + sx;
                java.util.Arrays.fill(sum, 0);
                double area = 0;
                for (int y = (int) top; y < Math.min(ch, Math.ceil(bottom)); y++) {
                    double wy = Math.min(bottom, y + 1) - Math.max(top, y);
                    for (int x = (int) left; x < Math.min(cw, Math.ceil(right)); x++) {
                        double w = wy * (Math.min(right, x + 1) - Math.max(left, x));
                        for (int c = 0; c < channels; c++) {
                            sum[c] += w * s.at(x0 + x, y0 + y, c);
                        }
                        area += w;
                    }
                }
                int o = channels * (oy * width + ox);
                for (int c = 0; c < channels; c++) {
                    out[o + c] = (byte) Math.round(sum[c] / area);
                }
            }
        }
        return new Image(width, height, channels, Image.Layout.HWC, out);
    }

    /** Bilinear sampling at pixel centres (the half-pixel convention of OpenCV and PyTorch's align_corners=False). */
    private static Image bilinear(Samples s, int width, int height) {
        int channels = s.channels();
        byte[] out = new byte[width * height * channels];
        double sx = (double) s.width() / width;
        double sy = (double) s.height() / height;
        for (int oy = 0; oy < height; oy++) {
            double fy = Math.max(0, (oy + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, s.height() - 1);
            int y1 = Math.min(y0 + 1, s.height() - 1);
            double wy = fy - y0;
            for (int ox = 0; ox < width; ox++) {
                double fx = Math.max(0, (ox + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, s.width() - 1);
                int x1 = Math.min(x0 + 1, s.width() - 1);
                double wx = fx - x0;
                int o = channels * (oy * width + ox);
                for (int c = 0; c < channels; c++) {
                    double top = s.at(x0, y0, c) * (1 - wx) + s.at(x1, y0, c) * wx;
                    double bottom = s.at(x0, y1, c) * (1 - wx) + s.at(x1, y1, c) * wx;
                    out[o + c] = (byte) Math.round(top * (1 - wy) + bottom * wy);
                }
            }
        }
        return new Image(width, height, channels, Image.Layout.HWC, out);
    }
}

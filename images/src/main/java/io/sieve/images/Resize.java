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

    /**
     * Area average of the region (x0, y0, cw, ch) to width x height; upscaling replicates pixels.
     * Separable: each source row is first averaged across into the output columns, then the rows
     * down into the output rows, with the covering weights worked out once per axis. Every source
     * sample is touched about once, in tight loops: a 224x224 frame comes down to 32x32 in tens
     * of microseconds (BENCHMARKS.md, frame encodings).
     */
    private static Image areaAverage(Samples s, int x0, int y0, int cw, int ch, int width, int height) {
        if (cw % width == 0 && ch % height == 0) {
            return blockAverage(s, x0, y0, cw / width, ch / height, width, height);
        }
        int channels = s.channels();
        Coverage across = Coverage.of(cw, width);
        Coverage down = Coverage.of(ch, height);
        int pixelStride = s.planar() ? 1 : channels;
        int rowStride = s.planar() ? s.width() : s.width() * channels;
        int planeStride = s.planar() ? s.width() * s.height() : 1;
        byte[] px = s.px();
        // rows[y][ox * channels + c]: source row y0 + y averaged across into output column ox.
        float[] rows = new float[ch * width * channels];
        for (int y = 0; y < ch; y++) {
            int rowBase = (y0 + y) * rowStride + x0 * pixelStride;
            int outBase = y * width * channels;
            for (int ox = 0; ox < width; ox++) {
                int first = across.first[ox];
                int count = across.count[ox];
                int weights = across.offset[ox];
                for (int c = 0; c < channels; c++) {
                    int at = rowBase + c * planeStride + first * pixelStride;
                    float sum = 0;
                    for (int k = 0; k < count; k++, at += pixelStride) {
                        sum += across.weight[weights + k] * (px[at] & 0xff);
                    }
                    rows[outBase + ox * channels + c] = sum;
                }
            }
        }
        byte[] out = new byte[width * height * channels];
        int rowLength = width * channels;
        for (int oy = 0; oy < height; oy++) {
            int first = down.first[oy];
            int count = down.count[oy];
            int weights = down.offset[oy];
            int o = oy * rowLength;
            for (int i = 0; i < rowLength; i++) {
                float sum = 0;
                for (int k = 0, at = first * rowLength + i; k < count; k++, at += rowLength) {
                    sum += down.weight[weights + k] * rows[at];
                }
                out[o + i] = (byte) Math.min(255, Math.round(sum));
            }
        }
        return new Image(width, height, channels, Image.Layout.HWC, out);
    }

    /**
     * The area average when both factors are whole numbers (224 to 32, 96 to 32, 64 to 32): every
     * output pixel is the rounded mean of its own fx x fy block, summed in integers.
     */
    private static Image blockAverage(Samples s, int x0, int y0, int fx, int fy, int width, int height) {
        int channels = s.channels();
        int pixelStride = s.planar() ? 1 : channels;
        int rowStride = s.planar() ? s.width() : s.width() * channels;
        int planeStride = s.planar() ? s.width() * s.height() : 1;
        byte[] px = s.px();
        byte[] out = new byte[width * height * channels];
        int area = fx * fy;
        int half = area / 2;
        int[] sums = new int[width * channels];
        for (int oy = 0; oy < height; oy++) {
            java.util.Arrays.fill(sums, 0);
            for (int dy = 0; dy < fy; dy++) {
                int rowBase = (y0 + oy * fy + dy) * rowStride + x0 * pixelStride;
                for (int c = 0; c < channels; c++) {
                    int at = rowBase + c * planeStride;
                    for (int ox = 0; ox < width; ox++) {
                        int sum = 0;
                        for (int dx = 0; dx < fx; dx++, at += pixelStride) {
                            sum += px[at] & 0xff;
                        }
                        sums[ox * channels + c] += sum;
                    }
                }
            }
            int o = oy * width * channels;
            for (int i = 0; i < sums.length; i++) {
                out[o + i] = (byte) ((sums[i] + half) / area);
            }
        }
        return new Image(width, height, channels, Image.Layout.HWC, out);
    }

    /**
     * For each output position along one axis: the first source position it covers, how many, and
     * their weights (the covered fraction of each, normalised to sum to 1).
     */
    private record Coverage(int[] first, int[] count, int[] offset, float[] weight) {
        static Coverage of(int source, int target) {
            int[] first = new int[target];
            int[] count = new int[target];
            int[] offset = new int[target];
            double scale = (double) source / target;
            float[] weight = new float[target * ((int) Math.ceil(scale) + 2)];
            int used = 0;
            for (int o = 0; o < target; o++) {
                double from = o * scale;
                double to = from + scale;
                int lo = (int) from;
                int hi = Math.min(source, (int) Math.ceil(to));
                first[o] = lo;
                count[o] = hi - lo;
                offset[o] = used;
                double total = 0;
                for (int x = lo; x < hi; x++) {
                    total += Math.min(to, x + 1) - Math.max(from, x);
                }
                for (int x = lo; x < hi; x++) {
                    weight[used++] = (float) ((Math.min(to, x + 1) - Math.max(from, x)) / total);
                }
            }
            return new Coverage(first, count, offset, weight);
        }
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

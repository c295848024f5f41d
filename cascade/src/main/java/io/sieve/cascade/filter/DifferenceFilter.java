package io.sieve.cascade.filter;

import io.sieve.images.Image;
import java.util.List;

/**
 * NoScope's difference detector: in a run of consecutive frames of one camera, a frame whose mean
 * absolute pixel difference from the last frame that was classified (its reference) is below the
 * threshold reuses the reference's label instead of running a model. The first frame of a run is
 * always a reference, so a run never depends on frames outside it.
 */
public final class DifferenceFilter {
    private final double threshold;

    /** @param threshold mean absolute difference per 8-bit sample (0-255) under which a frame follows its reference; 0 = off */
    public DifferenceFilter(double threshold) {
        if (!(threshold >= 0) || threshold > 255) {
            throw new IllegalArgumentException("difference threshold must be in [0, 255], got " + threshold);
        }
        this.threshold = threshold;
    }

    public double threshold() {
        return threshold;
    }

    public boolean enabled() {
        return threshold > 0;
    }

    /** For each frame, the index of its reference: itself for a reference, an earlier frame for a follower. */
    public int[] references(List<Image> frames) {
        int[] reference = new int[frames.size()];
        int current = -1;
        for (int i = 0; i < frames.size(); i++) {
            if (current >= 0 && enabled() && meanAbsoluteDifference(frames.get(current), frames.get(i)) < threshold) {
                reference[i] = current;
            } else {
                current = i;
                reference[i] = i;
            }
        }
        return reference;
    }

    /** Mean absolute difference per sample; images of different shapes or layouts are infinitely different. */
    public static double meanAbsoluteDifference(Image a, Image b) {
        if (a.width() != b.width() || a.height() != b.height() || a.channels() != b.channels() || a.layout() != b.layout()) {
            return Double.POSITIVE_INFINITY;
        }
        byte[] x = a.pixels();
        byte[] y = b.pixels();
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += Math.abs((x[i] & 0xff) - (y[i] & 0xff));
        }
        return (double) sum / x.length;
    }
}

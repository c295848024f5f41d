package io.sieve.cascade.filter;

import io.sieve.images.Image;
import java.util.List;

/**
 * NoScope's difference detector: in consecutive frames of one camera, a frame whose mean absolute
 * pixel difference from the last frame that was classified (its reference) is below the threshold
 * reuses the reference's label instead of running a model. The reference may come from an earlier
 * batch of the same camera (it is carried over), so a fixed camera that sees the same scene for
 * seconds pays one model call per scene, not one per batch.
 */
public final class DifferenceFilter {
    /** The reference index of a frame that follows the reference carried over from an earlier batch. */
    public static final int FOLLOWS_CARRIED = -1;

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

    /** Within one batch with nothing carried over: for each frame, the index of its reference (itself for a reference). */
    public int[] references(List<Image> frames) {
        return references(frames, null);
    }

    /**
     * For each frame, the index of its reference: itself for a reference, an earlier frame of the
     * batch for a follower, or {@link #FOLLOWS_CARRIED} for a frame that follows {@code carried}, the
     * camera's reference from an earlier batch (null: none, the batch's first frame is a reference).
     */
    public int[] references(List<Image> frames, Image carried) {
        int[] reference = new int[frames.size()];
        Image current = enabled() ? carried : null;
        int currentIndex = FOLLOWS_CARRIED;
        for (int i = 0; i < frames.size(); i++) {
            if (current != null && meanAbsoluteDifference(current, frames.get(i)) < threshold) {
                reference[i] = currentIndex;
            } else {
                current = enabled() ? frames.get(i) : null;
                currentIndex = i;
                reference[i] = i;
            }
        }
        return reference;
    }

    /** Mean absolute difference per sample; images of different shapes or layouts are infinitely different. */
    public static double meanAbsoluteDifference(Image a, Image b) {
        if (!a.sameShapeAs(b)) {
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

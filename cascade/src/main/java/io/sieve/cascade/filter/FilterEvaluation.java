package io.sieve.cascade.filter;

import io.sieve.images.Image;
import java.util.ArrayList;
import java.util.List;

/**
 * How the difference filter trades model calls for agreement on cameras' frames: each camera's
 * frames are filtered in order (the stream carries a camera's reference from batch to batch, so
 * how frames are cut into records does not matter), and every follower takes its reference's label.
 * Agreement is measured against the labels a model gives every frame without the filter.
 */
public final class FilterEvaluation {
    private FilterEvaluation() {
    }

    /** One threshold's result: how many frames still run a model, and how often the labels agree. */
    public record Point(double threshold, int frames, int modelCalls, double agreement) {
        public double reduction() {
            return (double) frames / modelCalls;
        }
    }

    /** The label each frame gets behind the filter, given its reference ({@link DifferenceFilter#references}) and every frame's own label. */
    public static int[] behindFilter(int[] references, int[] labels) {
        int[] taken = new int[references.length];
        for (int i = 0; i < references.length; i++) {
            taken[i] = labels[references[i]];
        }
        return taken;
    }

    /**
     * @param cameras each camera's frames, in order
     * @param labels  per camera, the label of each of its frames without the filter
     */
    public static Point evaluate(DifferenceFilter filter, List<List<Image>> cameras, List<int[]> labels) {
        return evaluate(filter.threshold(), cameras.stream().map(filter::references).toList(), labels);
    }

    /** As {@link #evaluate(DifferenceFilter, List, List)}, from each camera's references ({@link DifferenceFilter#references}) at {@code threshold}. */
    public static Point evaluate(double threshold, List<int[]> references, List<int[]> labels) {
        if (references.size() != labels.size()) {
            throw new IllegalArgumentException(references.size() + " cameras but labels for " + labels.size());
        }
        int frames = 0;
        int calls = 0;
        int agree = 0;
        for (int c = 0; c < references.size(); c++) {
            int[] own = labels.get(c);
            int[] refs = references.get(c);
            int[] taken = behindFilter(refs, own);
            for (int i = 0; i < refs.length; i++) {
                calls += refs[i] == i ? 1 : 0;
                agree += taken[i] == own[i] ? 1 : 0;
            }
            frames += refs.length;
        }
        return new Point(threshold, frames, calls, frames == 0 ? Double.NaN : (double) agree / frames);
    }

    public static List<Point> sweep(List<List<Image>> cameras, List<int[]> labels, double[] thresholds) {
        List<Point> points = new ArrayList<>();
        for (double t : thresholds) {
            points.add(evaluate(new DifferenceFilter(t), cameras, labels));
        }
        return points;
    }

    /** The point with the fewest model calls whose agreement is at least {@code minAgreement}, or null. */
    public static Point best(List<Point> points, double minAgreement) {
        Point best = null;
        for (Point p : points) {
            if (p.agreement() >= minAgreement && (best == null || p.modelCalls() < best.modelCalls())) {
                best = p;
            }
        }
        return best;
    }
}

package io.sieve.cascade.filter;

import io.sieve.images.Image;
import java.util.ArrayList;
import java.util.List;

/**
 * How the difference filter trades expensive-model calls for agreement on one camera's frames:
 * for each threshold, the frames are cut into batches as the producer sends them, each batch is
 * filtered, and every follower takes its reference's label. Agreement is measured against the
 * labels {@code reference} gives every frame (e.g. the expensive model run on all of them).
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

    public static List<Point> sweep(List<Image> frames, int[] labels, int batch, double[] thresholds) {
        List<Point> points = new ArrayList<>();
        for (double t : thresholds) {
            DifferenceFilter filter = new DifferenceFilter(t);
            int calls = 0;
            int agree = 0;
            for (int start = 0; start < frames.size(); start += batch) {
                int end = Math.min(frames.size(), start + batch);
                int[] refs = filter.references(frames.subList(start, end));
                for (int i = 0; i < refs.length; i++) {
                    calls += refs[i] == i ? 1 : 0;
                    agree += labels[start + refs[i]] == labels[start + i] ? 1 : 0;
                }
            }
            points.add(new Point(t, frames.size(), calls, (double) agree / frames.size()));
        }
        return points;
    }

    /** The point with the fewest model calls whose agreement is at least {@code minAgreement}. */
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

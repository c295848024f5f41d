package io.sieve.cascade.estimate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Replays a fixed set of decisions in many seeded random orders and counts how often the 95%
 * intervals cover the truth at given shares of progress: for accuracy, the true accuracy of the
 * decisions so far; for a class count, the true number of that class among all frames.
 */
public final class CoverageCheck {

    /** One frame's decision as the aggregator sees it, with the truth the test knows. */
    public record Decision(int stage, double confidence, int label, int truth) {
    }

    /** The repository root, where models/ and the data locations are found. */
    public static java.nio.file.Path home() {
        return java.nio.file.Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath();
    }

    /** The CIFAR-10 test batch, or the test skipped (not failed) saying where it was looked for. */
    public static io.sieve.images.LabelledImages testBatchOrSkip() {
        try {
            return io.sieve.images.Cifar10.test(io.sieve.images.Cifar10.locate(io.sieve.images.Cifar10.defaultLocations(home(), System.getenv())));
        } catch (io.sieve.images.DataException e) {
            org.junit.jupiter.api.Assumptions.abort("skipped: " + e.getMessage());
            throw new AssertionError("unreachable");
        }
    }

    /** The cascade's decision on every image, with its true label. */
    public static List<Decision> decisions(io.sieve.cascade.runtime.Cascade cascade, io.sieve.images.LabelledImages images) {
        List<Decision> decisions = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += 500) {
            int end = Math.min(images.size(), start + 500);
            List<List<io.sieve.cascade.runtime.StageDecision>> trails = cascade.classify(images.images().subList(start, end));
            for (int i = 0; i < trails.size(); i++) {
                io.sieve.cascade.runtime.StageDecision d = trails.get(i).get(trails.get(i).size() - 1);
                decisions.add(new Decision(d.stage(), d.confidence(), d.label(), images.labels()[start + i]));
            }
        }
        return decisions;
    }

    /** Coverage per progress share: [accuracy coverage, class-count coverage]. */
    public static Map<Double, double[]> run(List<Decision> decisions, List<StageCalibration> calibration, int classes,
                                            int targetClass, int replays, double[] progress, long seed) {
        int total = decisions.size();
        long targetTotal = decisions.stream().filter(d -> d.truth() == targetClass).count();
        Map<Double, double[]> hits = new LinkedHashMap<>();
        for (double share : progress) {
            hits.put(share, new double[2]);
        }
        Random random = new Random(seed);
        for (int r = 0; r < replays; r++) {
            List<Decision> order = new ArrayList<>(decisions);
            java.util.Collections.shuffle(order, random);
            OnlineEstimate estimate = new OnlineEstimate(calibration, classes);
            int correct = 0;
            int next = 0;
            for (double share : progress) {
                int upTo = (int) Math.round(share * total);
                for (; next < upTo; next++) {
                    Decision d = order.get(next);
                    estimate.add(d.stage(), d.confidence(), d.label(), d.truth());
                    correct += d.label() == d.truth() ? 1 : 0;
                }
                double[] h = hits.get(share);
                h[0] += estimate.accuracy(Interval.Z95, 1).covers((double) correct / upTo) ? 1 : 0;
                h[1] += estimate.classCount(targetClass, total, Interval.Z95, 1).covers(targetTotal) ? 1 : 0;
            }
        }
        hits.values().forEach(h -> {
            h[0] /= replays;
            h[1] /= replays;
        });
        return hits;
    }
}

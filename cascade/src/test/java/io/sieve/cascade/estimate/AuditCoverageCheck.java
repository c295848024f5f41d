package io.sieve.cascade.estimate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Replays a query over fixed frames in many seeded random orders, each with fresh audit coins, and
 * counts how often the 95% intervals cover the truth at given shares of progress, for the audit's
 * estimates (the disagreement with the last stage over all frames; every class's count by the last
 * stage's labels) and for today's calibration-table estimates (accuracy of the decisions so far;
 * every class's true count), with their mean widths.
 */
public final class AuditCoverageCheck {

    /**
     * One frame as the aggregator would see it, with what the test knows: the deciding stage and
     * its confidence, the answer, whether a stage before the last decided it, the last stage's label
     * on it, and the true label.
     */
    public record Frame(int stage, double confidence, int answer, boolean early, int lastLabel, int truth) {
    }

    /** Coverage and mean interval width at one share of progress; class figures are the worst and mean over classes. */
    public record Result(double disagreementCoverage, double disagreementWidth, double auditedClassCoverageMin,
                         double auditedClassCoverageMax, double auditedClassWidth, double accuracyCoverage, double accuracyWidth,
                         double classCoverageMin, double classCoverageMax, double classWidth) {
    }

    public static Map<Double, Result> run(List<Frame> frames, List<StageCalibration> calibration, int classes, double auditRate,
                                          int replays, double[] progress, long seed) {
        int total = frames.size();
        long disagreeing = frames.stream().filter(f -> f.answer() != f.lastLabel()).count();
        long[] lastCounts = new long[classes];
        long[] trueCounts = new long[classes];
        for (Frame f : frames) {
            lastCounts[f.lastLabel()]++;
            trueCounts[f.truth()]++;
        }
        double truthDisagreement = (double) disagreeing / total;
        Map<Double, double[]> sums = new LinkedHashMap<>();
        Map<Double, double[][]> classHits = new LinkedHashMap<>();
        for (double share : progress) {
            sums.put(share, new double[6]);
            classHits.put(share, new double[2][classes]);
        }
        Random random = new Random(seed);
        for (int r = 0; r < replays; r++) {
            List<Frame> order = new ArrayList<>(frames);
            Collections.shuffle(order, random);
            AuditEstimate audit = new AuditEstimate(classes);
            OnlineEstimate today = new OnlineEstimate(calibration, classes);
            int correct = 0;
            int next = 0;
            for (double share : progress) {
                int upTo = (int) Math.round(share * total);
                for (; next < upTo; next++) {
                    Frame f = order.get(next);
                    boolean audited = f.early() && random.nextDouble() < auditRate;
                    audit.add(f.answer(), f.early(), f.early() ? auditRate : 0, !f.early() || audited ? f.lastLabel() : null);
                    today.add(f.stage(), f.confidence(), f.answer(), f.truth());
                    correct += f.answer() == f.truth() ? 1 : 0;
                }
                double[] s = sums.get(share);
                double[][] hits = classHits.get(share);
                Interval d = audit.disagreement(total, Interval.Z95);
                s[0] += d.covers(truthDisagreement) ? 1 : 0;
                s[1] += d.high() - d.low();
                Interval a = today.accuracy(Interval.Z95, 1);
                s[3] += a.covers((double) correct / upTo) ? 1 : 0;
                s[4] += a.high() - a.low();
                for (int k = 0; k < classes; k++) {
                    Interval byLast = audit.classCount(k, total, Interval.Z95);
                    hits[0][k] += byLast.covers(lastCounts[k]) ? 1 : 0;
                    s[2] += (byLast.high() - byLast.low()) / classes;
                    Interval byTables = today.classCount(k, total, Interval.Z95, 1);
                    hits[1][k] += byTables.covers(trueCounts[k]) ? 1 : 0;
                    s[5] += (byTables.high() - byTables.low()) / classes;
                }
            }
        }
        Map<Double, Result> results = new LinkedHashMap<>();
        for (double share : progress) {
            double[] s = sums.get(share);
            double[][] hits = classHits.get(share);
            results.put(share, new Result(s[0] / replays, s[1] / replays, min(hits[0]) / replays, max(hits[0]) / replays,
                    s[2] / replays, s[3] / replays, s[4] / replays, min(hits[1]) / replays, max(hits[1]) / replays, s[5] / replays));
        }
        return results;
    }

    /**
     * The drift alarm over the same frames in {@code replays} seeded random orders with fresh audit
     * coins, checked every 100 frames as progress records would: for each replay, the frames seen
     * when it was raised, or -1 when it never was. The cascade's stage 0 is tested against {@code profiles}.
     */
    public static long[] firstDriftAlarms(List<Frame> frames, List<io.sieve.cascade.definition.ExitProfile> profiles, double auditRate,
                                          int replays, long seed) {
        Random random = new Random(seed);
        long[] first = new long[replays];
        for (int r = 0; r < replays; r++) {
            List<Frame> order = new ArrayList<>(frames);
            Collections.shuffle(order, random);
            DriftMonitor monitor = new DriftMonitor(profiles);
            first[r] = -1;
            for (int i = 0; i < order.size() && first[r] < 0; i++) {
                Frame f = order.get(i);
                monitor.reached(0, f.early());
                if (f.early() && random.nextDouble() < auditRate) {
                    monitor.audited(0, f.answer() != f.lastLabel());
                }
                boolean checkNow = (i + 1) % 100 == 0 || i == order.size() - 1;
                if (checkNow && monitor.check(false, i + 1).stream().anyMatch(DriftMonitor.Check::alarm)) {
                    first[r] = i + 1;
                }
            }
        }
        return first;
    }

    private static double min(double[] values) {
        double m = Double.POSITIVE_INFINITY;
        for (double v : values) {
            m = Math.min(m, v);
        }
        return m;
    }

    private static double max(double[] values) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }
}

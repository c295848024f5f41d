package io.sieve.cascade.estimate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Keeps a query's accuracy budget when the calibration thresholds do not (self-correcting
 * thresholds): from the live audit it estimates, for every exit threshold at or above calibration's,
 * what the cascade loses against its last stage, and raises a stage's threshold when that is above
 * the target at the thresholds in force with confidence, lowering it again (never below
 * calibration's) when a lower one is within the target with confidence.
 *
 * <p>What it measures depends on the frames. Where they carry true labels, the {@link
 * Measure#ACCURACY_LOSS} the budget speaks of: per frame, 1 if the early answer is wrong where the
 * last stage is right, -1 the other way round. Otherwise the accuracy loss cannot be seen, only the
 * {@link Measure#DISAGREEMENT} with the last stage (an upper bound on it), and the target is the
 * disagreement calibration's thresholds had on the calibration frames, under which the budget was
 * met: the control then keeps the cascade as close to its last stage as calibration found it.
 *
 * <p>Each frame that reached an early stage tells what that stage would have answered at any
 * threshold its confidence clears; what the last stage answers is known for every frame it decided
 * and for audited early answers. Weighted by the inverse of how likely that label was to be known (1
 * for the last stage's frames, 1/rate for audited ones), these give unbiased (Horvitz-Thompson)
 * estimates at each threshold, per confidence bin. Both tests use a
 * {@link ConfidenceSequence} over the frames seen, as the decision is taken again with every
 * progress record.
 *
 * <p>For a cascade of more than two stages it assumes that a frame a raised threshold sends on is
 * answered as the last stage would; the estimate of the loss at the thresholds in force needs no
 * such assumption.
 */
public final class ThresholdControl {
    /** Confidence bins between a stage's calibrated threshold and 1: the thresholds the control may choose. */
    public static final int BINS = 20;
    /** Frames before the control acts: the confidence sequence is asymptotic. */
    public static final long MIN_FRAMES = PrecisionTarget.MIN_DECISIONS;
    static final double LEVEL = 0.95;
    /** Whether a query that does not say corrects its thresholds: EVALUATION.md, "Self-correcting thresholds", has the measurement. */
    public static final boolean ON_BY_DEFAULT = true;

    /** What the control keeps within its target. */
    public enum Measure {
        /** Accuracy lost against the last stage, on frames with true labels: the budget's own measure. */
        ACCURACY_LOSS,
        /** Share of frames answered otherwise than the last stage would, on frames without labels. */
        DISAGREEMENT
    }

    private final Measure measure;
    private final double budget;
    /** Per stage: calibration's lowest exit confidence, or NaN for a stage that is not controlled (the last). */
    private final double[] calibrated;
    private final ConfidenceSequence sequence;
    private long frames;
    /** [stage][bin]: the measure's weighted sums (disagreements, or accuracy lost), and their variance terms w (w - 1). */
    private final double[][] disagreement;
    private final double[][] variance;
    /** Per stage: the bin whose lower edge is the threshold in force (0: calibration's), or BINS: the stage exits nothing. */
    private final int[] level;
    private final long[] changes;

    /**
     * @param measure    what is kept within {@code budget}
     * @param budget     the target: the accuracy-loss budget, or calibration's disagreement
     * @param calibrated per stage, calibration's lowest exit confidence; null for the last stage
     * @param frames     the frames where the sequence is tightest, e.g. the query's expected frames
     */
    public ThresholdControl(Measure measure, double budget, List<Double> calibrated, double frames) {
        if (!(budget >= 0 && budget < 1)) {
            throw new IllegalArgumentException("a loss budget is a share in [0, 1), not " + budget);
        }
        this.measure = measure;
        this.budget = budget;
        this.calibrated = calibrated.stream().mapToDouble(t -> t == null ? Double.NaN : t).toArray();
        this.sequence = ConfidenceSequence.tightestAt(LEVEL, Math.max(MIN_FRAMES, frames));
        int stages = this.calibrated.length;
        this.disagreement = new double[stages][BINS];
        this.variance = new double[stages][BINS];
        this.level = new int[stages];
        this.changes = new long[stages];
    }

    /** Everything the control has counted, for a state store. */
    public record State(long frames, double[][] disagreement, double[][] variance, int[] level, long[] changes) {
    }

    public State state() {
        return new State(frames, deepCopy(disagreement), deepCopy(variance), level.clone(), changes.clone());
    }

    /** @throws IllegalArgumentException when the state has another cascade's shape */
    public static ThresholdControl restore(Measure measure, double budget, List<Double> calibrated, double tightestAt, State state) {
        ThresholdControl control = new ThresholdControl(measure, budget, calibrated, tightestAt);
        int stages = control.calibrated.length;
        if (state.level().length != stages || state.changes().length != stages || state.disagreement().length != stages
                || state.variance().length != stages || Arrays.stream(state.disagreement()).anyMatch(r -> r.length != BINS)
                || Arrays.stream(state.variance()).anyMatch(r -> r.length != BINS)) {
            throw new IllegalArgumentException("the stored threshold control does not match the cascade's stages (a state kept for another cascade)");
        }
        control.frames = state.frames();
        for (int s = 0; s < stages; s++) {
            System.arraycopy(state.disagreement()[s], 0, control.disagreement[s], 0, BINS);
            System.arraycopy(state.variance()[s], 0, control.variance[s], 0, BINS);
        }
        System.arraycopy(state.level(), 0, control.level, 0, stages);
        System.arraycopy(state.changes(), 0, control.changes, 0, stages);
        return control;
    }

    private static double[][] deepCopy(double[][] values) {
        return Arrays.stream(values).map(double[]::clone).toArray(double[][]::new);
    }

    /** One stage's verdict on a frame: its confidence and label, whatever it decided. */
    public record Verdict(int stage, double confidence, int label) {
    }

    /**
     * Counts one frame of the query.
     *
     * @param verdicts          what each stage it reached made of it
     * @param lastLabel         the last stage's label, or null when unknown (an early answer not audited)
     * @param knownProbability  how likely the last stage's label was to be known: 1 when the last stage
     *                          decided the frame, the audit rate for an early answer
     * @param truth             the frame's true label, or null (needed for {@link Measure#ACCURACY_LOSS})
     */
    public void observe(List<Verdict> verdicts, Integer lastLabel, double knownProbability, Integer truth) {
        frames++;
        if (lastLabel == null || !(knownProbability > 0) || (measure == Measure.ACCURACY_LOSS && truth == null)) {
            return;
        }
        double weight = 1 / knownProbability;
        for (Verdict v : verdicts) {
            int s = v.stage();
            if (s < 0 || s >= calibrated.length || Double.isNaN(calibrated[s]) || v.confidence() < calibrated[s]) {
                continue;
            }
            int lost = measure == Measure.DISAGREEMENT ? (v.label() != lastLabel ? 1 : 0)
                    : (lastLabel.equals(truth) ? 1 : 0) - (v.label() == truth ? 1 : 0);
            if (lost != 0) {
                int bin = binOf(s, v.confidence());
                disagreement[s][bin] += weight * lost;
                variance[s][bin] += weight * (weight - 1);
            }
        }
    }

    public Measure measure() {
        return measure;
    }

    private int binOf(int stage, double confidence) {
        double low = calibrated[stage];
        int bin = (int) Math.floor((confidence - low) / (1 - low) * BINS);
        return Math.max(0, Math.min(BINS - 1, bin));
    }

    /** The exit threshold of bin {@code bin}'s lower edge at stage {@code stage}; above 1 for {@link #BINS}. */
    private double edge(int stage, int bin) {
        return bin >= BINS ? Double.POSITIVE_INFINITY : calibrated[stage] + (1 - calibrated[stage]) * bin / BINS;
    }

    /** The loss with each stage at the given bin, as an interval from the sequence. */
    private Interval loss(int[] at) {
        if (frames == 0) {
            return new Interval(Double.NaN, 0, 1);
        }
        double sum = 0;
        double var = 0;
        for (int s = 0; s < at.length; s++) {
            for (int b = at[s]; b < BINS && !Double.isNaN(calibrated[s]); b++) {
                sum += disagreement[s][b];
                var += variance[s][b];
            }
        }
        double estimate = sum / frames;
        double half = sequence.multiplier(frames) * Math.sqrt(var) / frames;
        return new Interval(estimate, Math.max(-1, estimate - half), Math.min(1, estimate + half));
    }

    /** The estimated measure at the thresholds in force, with its interval. */
    public Interval currentLoss() {
        return loss(level);
    }

    /** A threshold the control moved: stage, from and to (above 1: the stage exits nothing), at how many frames. */
    public record Change(int stage, double from, double to, long frames, Interval lossBefore) {
    }

    /**
     * Decides again: raises the thresholds if the loss at those in force is above the budget with
     * confidence (the stage losing most, to the lowest bin whose whole loss is within the budget with
     * confidence, or to exiting nothing), or lowers a raised one to the lowest bin that is within the
     * budget with confidence. Returns the changes made (empty most of the time).
     */
    public List<Change> decide() {
        List<Change> made = new ArrayList<>();
        if (frames < MIN_FRAMES) {
            return made;
        }
        Interval now = currentLoss();
        if (now.low() > budget) {
            int worst = -1;
            double worstLoss = -1;
            for (int s = 0; s < level.length; s++) {
                if (Double.isNaN(calibrated[s]) || level[s] >= BINS) {
                    continue;
                }
                double ls = 0;
                for (int b = level[s]; b < BINS; b++) {
                    ls += disagreement[s][b];
                }
                if (ls > worstLoss) {
                    worstLoss = ls;
                    worst = s;
                }
            }
            if (worst >= 0) {
                int[] at = level.clone();
                int to = level[worst] + 1;
                for (; to < BINS; to++) {
                    at[worst] = to;
                    if (loss(at).high() <= budget) {
                        break;
                    }
                }
                made.add(move(worst, to, now));
            }
            return made;
        }
        for (int s = 0; s < level.length; s++) {
            if (Double.isNaN(calibrated[s]) || level[s] == 0) {
                continue;
            }
            int[] at = level.clone();
            for (int to = 0; to < level[s]; to++) {
                at[s] = to;
                if (loss(at).high() <= budget) {
                    made.add(move(s, to, now));
                    break;
                }
            }
        }
        return made;
    }

    private Change move(int stage, int to, Interval before) {
        Change change = new Change(stage, edge(stage, level[stage]), edge(stage, to), frames, before);
        level[stage] = to;
        changes[stage]++;
        return change;
    }

    /** The threshold in force at {@code stage}: calibration's, a raised one, or above 1 (exits nothing); NaN for the last stage. */
    public double threshold(int stage) {
        return Double.isNaN(calibrated[stage]) ? Double.NaN : edge(stage, level[stage]);
    }

    public long changes(int stage) {
        return changes[stage];
    }

    public double budget() {
        return budget;
    }

    /** Calibration's lowest exit confidence at {@code stage}; NaN for the last. */
    public double calibrated(int stage) {
        return calibrated[stage];
    }
}

package io.sieve.cascade.estimate;

import java.util.List;

/**
 * The running answer of a query: how accurate the cascade's decisions so far are, and how many
 * frames of each class the whole query holds, each with a confidence interval.
 *
 * <p>Each decision's chance of being right comes from its stage's reliability table (validation
 * accuracy of the confidence bin it falls in); each decision's chance of showing class k comes
 * from its stage's confusion counts. Intervals add three sources of error:
 * <ol>
 *   <li>chance in the decisions themselves: a decision right with probability p is a Bernoulli(p);</li>
 *   <li>sampling: with n of N frames seen in a random order, the unseen N - n are estimated from the
 *   seen ones (finite-population correction included), as in online aggregation;</li>
 *   <li>calibration: the validation probabilities are themselves estimates from finitely many frames,
 *   an error shared by every decision of the same bin or confusion row.</li>
 * </ol>
 * Neighbouring video frames are not independent: {@code designEffect} (at least 1) inflates the
 * first two terms, as the variance of a mean of positively autocorrelated frames is that much larger
 * than for independent ones. Shuffled retrospective queries use 1.
 */
public final class OnlineEstimate {
    private final List<StageCalibration> stages;
    private final int classes;
    private long n;
    private double sumP;
    private double sumBernoulli;
    /** Decisions per stage and reliability bin: the calibration error of a bin is shared by all its decisions. */
    private final long[][] decisionsPerBin;
    private final long[][] predictedByStage;
    private final long[] predicted;
    private long labelled;
    private long correct;

    public OnlineEstimate(List<StageCalibration> stages, int classes) {
        this.stages = stages;
        this.classes = classes;
        this.predictedByStage = new long[stages.size()][classes];
        this.decisionsPerBin = new long[stages.size()][];
        for (int s = 0; s < stages.size(); s++) {
            decisionsPerBin[s] = new long[stages.get(s).reliability().bins().size()];
        }
        this.predicted = new long[classes];
    }

    /** Counts one decision: the deciding stage, its confidence and label, and the true label if known. */
    public void add(int stage, double confidence, int label, Integer trueLabel) {
        n++;
        StageCalibration calibration = stages.get(stage);
        int bin = calibration.reliability().indexOf(confidence);
        double p = calibration.correctProbability(bin)[0];
        sumP += p;
        sumBernoulli += p * (1 - p);
        decisionsPerBin[stage][bin]++;
        predictedByStage[stage][label]++;
        predicted[label]++;
        if (trueLabel != null) {
            labelled++;
            correct += trueLabel == label ? 1 : 0;
        }
    }

    /**
     * Everything the estimate has accumulated, for keeping it in a state store: decision counts per
     * stage and reliability bin, and predicted-class counts per stage, all in the shape of the
     * calibration they were counted against.
     */
    public record State(long n, double sumP, double sumBernoulli, long[][] decisionsPerBin, long[][] predictedByStage,
                        long[] predicted, long labelled, long correct) {
    }

    public State state() {
        return new State(n, sumP, sumBernoulli, deepCopy(decisionsPerBin), deepCopy(predictedByStage), predicted.clone(),
                labelled, correct);
    }

    /**
     * The estimate that had accumulated {@code state} against the same calibration.
     *
     * @throws IllegalArgumentException if the state's shape differs from this calibration's (another cascade's state)
     */
    public static OnlineEstimate restore(List<StageCalibration> stages, int classes, State state) {
        OnlineEstimate estimate = new OnlineEstimate(stages, classes);
        copyInto(state.decisionsPerBin(), estimate.decisionsPerBin, "decisions per reliability bin");
        copyInto(state.predictedByStage(), estimate.predictedByStage, "predicted classes per stage");
        copyInto(new long[][] {state.predicted()}, new long[][] {estimate.predicted}, "predicted classes");
        estimate.n = state.n();
        estimate.sumP = state.sumP();
        estimate.sumBernoulli = state.sumBernoulli();
        estimate.labelled = state.labelled();
        estimate.correct = state.correct();
        return estimate;
    }

    private static long[][] deepCopy(long[][] counts) {
        long[][] copy = new long[counts.length][];
        for (int s = 0; s < counts.length; s++) {
            copy[s] = counts[s].clone();
        }
        return copy;
    }

    private static void copyInto(long[][] from, long[][] to, String what) {
        boolean fits = from.length == to.length;
        for (int s = 0; fits && s < from.length; s++) {
            fits = from[s].length == to[s].length;
        }
        if (!fits) {
            throw new IllegalArgumentException("the stored " + what + " do not match the cascade's calibration tables "
                    + "(a state kept for another cascade)");
        }
        for (int s = 0; s < from.length; s++) {
            System.arraycopy(from[s], 0, to[s], 0, from[s].length);
        }
    }

    public long decisions() {
        return n;
    }

    public long predicted(int label) {
        return predicted[label];
    }

    /** The true accuracy of the labelled decisions so far, or null when none carried a label. */
    public Double trueAccuracy() {
        return labelled == 0 ? null : (double) correct / labelled;
    }

    /** Estimated accuracy of the decisions made so far, with its interval. */
    public Interval accuracy(double z, double designEffect) {
        if (n == 0) {
            return new Interval(Double.NaN, 0, 1);
        }
        double estimate = sumP / n;
        double variance = designEffect * sumBernoulli / ((double) n * n);
        for (int s = 0; s < stages.size(); s++) {
            for (int b = 0; b < decisionsPerBin[s].length; b++) {
                if (decisionsPerBin[s][b] == 0) {
                    continue;
                }
                double[] p = stages.get(s).correctProbability(b);
                double share = (double) decisionsPerBin[s][b] / n;
                variance += share * share * p[0] * (1 - p[0]) / (p[1] + 1);
            }
        }
        return Interval.of(estimate, variance, z, 0, 1);
    }

    /** Estimated number of frames of class {@code k} among all {@code population} frames of the query. */
    public Interval classCount(int k, long population, double z, double designEffect) {
        if (n == 0) {
            return new Interval(Double.NaN, 0, population);
        }
        double seenSum = 0;
        double labelNoise = 0;
        double calibration = 0;
        for (int s = 0; s < stages.size(); s++) {
            for (int j = 0; j < classes; j++) {
                long count = predictedByStage[s][j];
                if (count == 0) {
                    continue;
                }
                double[] q = stages.get(s).classProbability(j, k);
                seenSum += count * q[0];
                labelNoise += count * q[0] * (1 - q[0]);
                calibration += (double) count * count * q[0] * (1 - q[0]) / (q[1] + 1);
            }
        }
        long big = Math.max(population, n);
        double scale = (double) big / n;
        double share = seenSum / n;
        double sampling = (double) big * big * (1 - (double) n / big) * share * (1 - share) / n;
        double variance = designEffect * (scale * scale * labelNoise + sampling) + scale * scale * calibration;
        return Interval.of(big * share, variance, z, 0, big);
    }
}

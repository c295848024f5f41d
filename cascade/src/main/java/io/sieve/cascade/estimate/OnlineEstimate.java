package io.sieve.cascade.estimate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    /** (stage, bin lower edge) -> [decisions, p, validation frames]. */
    private final Map<Long, double[]> bins = new HashMap<>();
    private final long[][] predictedByStage;
    private final long[] predicted;
    private long labelled;
    private long correct;

    public OnlineEstimate(List<StageCalibration> stages, int classes) {
        this.stages = stages;
        this.classes = classes;
        this.predictedByStage = new long[stages.size()][classes];
        this.predicted = new long[classes];
    }

    /** Counts one decision: the deciding stage, its confidence and label, and the true label if known. */
    public void add(int stage, double confidence, int label, Integer trueLabel) {
        n++;
        StageCalibration calibration = stages.get(stage);
        double[] p = calibration.correctProbability(confidence);
        sumP += p[0];
        sumBernoulli += p[0] * (1 - p[0]);
        long key = ((long) stage << 32) | Float.floatToIntBits((float) calibration.reliability().binOf(confidence).low());
        double[] bin = bins.computeIfAbsent(key, k -> new double[] {0, p[0], p[1]});
        bin[0]++;
        predictedByStage[stage][label]++;
        predicted[label]++;
        if (trueLabel != null) {
            labelled++;
            correct += trueLabel == label ? 1 : 0;
        }
    }

    /** Everything the estimate has accumulated, for keeping it in a state store. */
    public record State(long n, double sumP, double sumBernoulli, Map<Long, double[]> bins, long[][] predictedByStage,
                        long[] predicted, long labelled, long correct) {
    }

    public State state() {
        long[][] byStage = new long[predictedByStage.length][];
        for (int s = 0; s < byStage.length; s++) {
            byStage[s] = predictedByStage[s].clone();
        }
        Map<Long, double[]> binsCopy = new HashMap<>();
        bins.forEach((k, v) -> binsCopy.put(k, v.clone()));
        return new State(n, sumP, sumBernoulli, binsCopy, byStage, predicted.clone(), labelled, correct);
    }

    public static OnlineEstimate restore(List<StageCalibration> stages, int classes, State state) {
        OnlineEstimate estimate = new OnlineEstimate(stages, classes);
        estimate.n = state.n();
        estimate.sumP = state.sumP();
        estimate.sumBernoulli = state.sumBernoulli();
        estimate.bins.putAll(state.bins());
        for (int s = 0; s < Math.min(stages.size(), state.predictedByStage().length); s++) {
            System.arraycopy(state.predictedByStage()[s], 0, estimate.predictedByStage[s], 0, classes);
        }
        System.arraycopy(state.predicted(), 0, estimate.predicted, 0, classes);
        estimate.labelled = state.labelled();
        estimate.correct = state.correct();
        return estimate;
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
        for (double[] bin : bins.values()) {
            double share = bin[0] / n;
            variance += share * share * bin[1] * (1 - bin[1]) / (bin[2] + 1);
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

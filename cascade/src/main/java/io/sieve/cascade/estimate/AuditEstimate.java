package io.sieve.cascade.estimate;

import java.util.function.DoubleUnaryOperator;

/**
 * What the live audit says about a query: how often the last stage would have answered otherwise
 * (the cascade's disagreement with its last stage, an upper bound on its accuracy loss against it),
 * and how many frames of each class the last stage would have found, with confidence intervals that
 * rest on no calibration table.
 *
 * <p>Each frame an early stage decides was audited with a known probability {@code pi} (a seeded
 * coin of its own, independent of its pixels): the last stage then labelled it too. Frames the last
 * stage decided carry its label anyway. For class {@code k} each frame contributes the
 * prediction-powered value {@code z = [answer = k] + (A / pi) ([last = k] - [answer = k])}, where
 * {@code A} says whether it was audited: its expectation over the audit coin is {@code [last = k]}
 * whatever the early stage did, so the mean of {@code z} is unbiased for the last stage's share
 * however wrong the calibration is; disagreement is the same with {@code [answer != last]}.
 *
 * <p>Two sources of error, both of Sieve's own making, so neither needs an assumption about the
 * stream:
 * <ol>
 *   <li>the audit coins, independent per frame: given the frames seen, the variance of the mean is
 *   {@code sum((1 - pi) / pi * e) / n^2}, with {@code e = 1} where the early answer and the last
 *   stage's differ (for the class concerned);</li>
 *   <li>for a retrospective query over {@code N} frames replayed in a random order, the frames seen
 *   are a simple random sample of them: {@code (1 - n/N) S^2 / n}. A live query's answer is about
 *   the frames seen so far, so this term is absent, and neighbouring video frames being alike
 *   changes nothing: the coins are what is random.</li>
 * </ol>
 * Disagreements are rare, so a normal interval around a handful of audited ones would be far too
 * narrow (none audited yet would give zero width). The intervals are therefore score intervals: every
 * value whose own variance puts the estimate within {@code z} standard deviations. For the
 * disagreement share {@code theta} that variance is {@code ((1 - n/N) theta (1 - theta) + w theta) / n},
 * {@code w} the mean of {@code (1 - pi) / pi} over the early frames: Wilson's construction for a
 * thinned count. For a class's count the audit's part is a difference of two rare counts, the audited
 * frames the class gained from the last stage's label and those it lost; their variance under each
 * hypothesis is the restricted maximum-likelihood one of a difference of two Poisson counts (as in
 * Miettinen and Nurminen's interval for a difference of rates), so that no count audited yet still
 * leaves the width its absence allows.
 */
public final class AuditEstimate {
    private long n;
    private long early;
    private long unauditable;
    private long audited;
    private double sumWeight;
    private double disagreementSum;
    private long disagreementsAudited;
    private final double[] classSum;
    private final long[] predicted;
    private final long[] gainedAudited;
    private final long[] lostAudited;

    public AuditEstimate(int classes) {
        this.classSum = new double[classes];
        this.predicted = new long[classes];
        this.gainedAudited = new long[classes];
        this.lostAudited = new long[classes];
    }

    /**
     * Counts one frame.
     *
     * @param label     the cascade's answer
     * @param early     whether a stage before the last decided it (or the difference filter did)
     * @param auditRate the chance the frame had to be audited (0 when the audit was off for it); only for early frames
     * @param lastLabel the last stage's label: the answer itself when the last stage decided, the
     *                  audit's label when the frame was audited, otherwise null
     */
    public void add(int label, boolean early, double auditRate, Integer lastLabel) {
        n++;
        classSum[label]++;
        predicted[label]++;
        if (!early) {
            return;
        }
        this.early++;
        if (!(auditRate > 0)) {
            unauditable++;
            return;
        }
        sumWeight += (1 - auditRate) / auditRate;
        if (lastLabel == null) {
            return;
        }
        audited++;
        if (lastLabel != label) {
            double expand = 1 / auditRate;
            disagreementSum += expand;
            disagreementsAudited++;
            classSum[label] -= expand;
            classSum[lastLabel] += expand;
            lostAudited[label]++;
            gainedAudited[lastLabel]++;
        }
    }

    /** Everything the estimate has accumulated, for a state store. */
    public record State(long frames, long early, long unauditable, long audited, double sumWeight, double disagreementSum,
                        long disagreementsAudited, double[] classSum, long[] predicted, long[] gainedAudited, long[] lostAudited) {
    }

    public State state() {
        return new State(n, early, unauditable, audited, sumWeight, disagreementSum, disagreementsAudited, classSum.clone(),
                predicted.clone(), gainedAudited.clone(), lostAudited.clone());
    }

    /**
     * The estimate that had accumulated {@code state}.
     *
     * @throws IllegalArgumentException if the state counts another number of classes
     */
    public static AuditEstimate restore(int classes, State state) {
        for (int length : new int[] {state.classSum().length, state.predicted().length, state.gainedAudited().length,
                state.lostAudited().length}) {
            if (length != classes) {
                throw new IllegalArgumentException("the stored audit counts " + length + " classes, the cascade " + classes
                        + " (a state kept for another cascade)");
            }
        }
        AuditEstimate estimate = new AuditEstimate(classes);
        estimate.n = state.frames();
        estimate.early = state.early();
        estimate.unauditable = state.unauditable();
        estimate.audited = state.audited();
        estimate.sumWeight = state.sumWeight();
        estimate.disagreementSum = state.disagreementSum();
        estimate.disagreementsAudited = state.disagreementsAudited();
        System.arraycopy(state.classSum(), 0, estimate.classSum, 0, classes);
        System.arraycopy(state.predicted(), 0, estimate.predicted, 0, classes);
        System.arraycopy(state.gainedAudited(), 0, estimate.gainedAudited, 0, classes);
        System.arraycopy(state.lostAudited(), 0, estimate.lostAudited, 0, classes);
        return estimate;
    }

    public long frames() {
        return n;
    }

    /** Frames decided before the last stage. */
    public long earlyDecided() {
        return early;
    }

    /** Early-decided frames that were audited. */
    public long audited() {
        return audited;
    }

    /** Audited frames whose last-stage label differs from the answer. */
    public long disagreementsAudited() {
        return disagreementsAudited;
    }

    /**
     * Whether the estimates are valid: every early-decided frame had a chance to be audited. A frame
     * that could not be (the audit was off for it) might differ from the last stage unseen.
     */
    public boolean valid() {
        return unauditable == 0;
    }

    /** Early-decided frames the audit could not pick (its rate was 0 for them). */
    public long unauditable() {
        return unauditable;
    }

    /**
     * The share of frames whose answer differs from the last stage's label, over {@code population}
     * frames: all frames of a retrospective query replayed in a random order, or the frames seen so
     * far ({@link #frames()}; a live query's answer is about those).
     */
    public Interval disagreement(long population, double z) {
        if (n == 0) {
            return new Interval(Double.NaN, 0, 1);
        }
        double estimate = Math.min(1, disagreementSum / n);
        double unseen = unseenShare(population);
        double w = meanWeight();
        // (estimate - theta)^2 = z^2 ((unseen theta (1 - theta) + w theta) / n): a quadratic in theta.
        double z2 = z * z;
        double a = 1 + z2 * unseen / n;
        double b = -2 * estimate - z2 * (unseen + w) / n;
        double c = estimate * estimate;
        double root = Math.sqrt(Math.max(0, b * b - 4 * a * c));
        return new Interval(estimate, Math.max(0, Math.min(estimate, (-b - root) / (2 * a))),
                Math.min(1, Math.max(estimate, (-b + root) / (2 * a))));
    }

    /** The number of frames of class {@code k} by the last stage's labels, among {@code population} frames (as for the disagreement). */
    public Interval classCount(int k, long population, double z) {
        long size = Math.max(population, n);
        if (n == 0) {
            return new Interval(Double.NaN, 0, size);
        }
        double estimate = Math.max(0, Math.min(1, classSum[k] / n));
        double unseen = unseenShare(population);
        double w = meanWeight();
        double z2 = z * z;
        long d = gainedAudited[k] + lostAudited[k];
        long gained = gainedAudited[k];
        long lost = lostAudited[k];
        // A class's own audited disagreements are few; shrunk halfway to the mean over all classes (each
        // disagreement counts for two), but never below its own count, and one pooled disagreement at least.
        double pooled = 2.0 * (disagreementsAudited + 1) / predicted.length;
        double shrunk = Math.max(d, (d + pooled) / 2);
        double pi = 1 / (1 + w);
        double seen = 1 - unseen;
        DoubleUnaryOperator excess = theta -> {
            // Under the hypothesis, the audited gains minus losses it implies (the part of the deviation the
            // coins explain grows with the share seen), and their summed rate, the restricted maximum-likelihood
            // one of a difference of two Poisson counts: a score interval's variance, skew and all.
            double delta = seen * pi * (n * theta - predicted[k]);
            double rate = (d + Math.sqrt((double) d * d + 4 * (delta * delta + (lost - gained) * delta))) / 2;
            double coin = w * (w + 1) * Math.max(shrunk, Math.max(rate, Math.abs(delta))) / ((double) n * n);
            return (estimate - theta) * (estimate - theta) - z2 * (unseen * theta * (1 - theta) / n + coin);
        };
        double low = crossing(excess, estimate, 0);
        double high = crossing(excess, estimate, 1);
        return new Interval(classSum[k] / n * size, low * size, high * size);
    }

    /**
     * Where {@code excess} turns positive going from {@code inside} (where it is not) towards {@code end},
     * or {@code end} if it never does: the edge of a score interval, by bisection.
     */
    private static double crossing(DoubleUnaryOperator excess, double inside, double end) {
        if (excess.applyAsDouble(end) <= 0) {
            return end;
        }
        double in = inside;
        double out = end;
        for (int i = 0; i < 50; i++) {
            double mid = (in + out) / 2;
            if (excess.applyAsDouble(mid) <= 0) {
                in = mid;
            } else {
                out = mid;
            }
        }
        return in;
    }

    /** The mean of {@code (1 - pi) / pi} over the early-decided frames: how much each audited frame stands for, less itself. */
    private double meanWeight() {
        return early == 0 ? 0 : sumWeight / early;
    }

    private double unseenShare(long population) {
        return Math.max(0, 1 - (double) n / population);
    }
}

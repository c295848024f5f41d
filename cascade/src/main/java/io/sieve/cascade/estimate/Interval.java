package io.sieve.cascade.estimate;

import org.apache.commons.math3.distribution.NormalDistribution;

/** An estimate with a two-sided confidence interval. */
public record Interval(double estimate, double low, double high) {
    /** The normal quantile of a two-sided 95% interval. */
    public static final double Z95 = new NormalDistribution().inverseCumulativeProbability(0.975);

    public boolean covers(double truth) {
        return truth >= low && truth <= high;
    }

    static Interval of(double estimate, double variance, double z, double min, double max) {
        double half = z * Math.sqrt(Math.max(variance, 0));
        return new Interval(estimate, Math.max(min, estimate - half), Math.min(max, estimate + half));
    }
}

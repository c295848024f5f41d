package io.sieve.cascade.estimate;

/** An estimate with a two-sided confidence interval. */
public record Interval(double estimate, double low, double high) {
    public boolean covers(double truth) {
        return truth >= low && truth <= high;
    }

    static Interval of(double estimate, double variance, double z, double min, double max) {
        double half = z * Math.sqrt(Math.max(variance, 0));
        return new Interval(estimate, Math.max(min, estimate - half), Math.min(max, estimate + half));
    }
}

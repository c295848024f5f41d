package io.sieve.cascade.calibration;

/** What the budget's bound covers. */
public enum Guarantee {
    /**
     * The whole threshold search ("Learn then Test", Angelopoulos et al. 2021): with probability at
     * least the confidence level over the draw of the calibration frames, the chosen thresholds keep
     * the budget on new frames from the same distribution. Exact binomial bounds; a two-stage
     * cascade is tested in a fixed order along a fixed path of thresholds (fixed-sequence testing),
     * more stages ordered on a fixed share of the frames and tested on the rest (Pareto testing).
     */
    SEARCH_WIDE,
    /**
     * Each candidate's bound holds at the level on its own (normal approximation); choosing the best
     * of many candidates makes the chosen one's bound optimistic. Kept for comparison and for
     * per-class thresholds, which the search-wide guarantee does not cover.
     */
    PER_CANDIDATE
}

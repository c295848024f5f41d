package io.sieve.cascade.model;

/**
 * How sure a classifier is of its top label, from its probability vector; higher is surer and
 * every measure lies in [0, 1], so thresholds are comparable across models.
 */
public enum ConfidenceMeasure {
    /** The top class's probability (Berestizshevsky and Even's softmax confidence). */
    MAX_PROBABILITY,
    /** Top-1 minus top-2 probability. */
    MARGIN,
    /** One minus the entropy normalised by log(classes) (BranchyNet's exit criterion, inverted). */
    ENTROPY;

    public float of(ClassProbabilities p) {
        return switch (this) {
            case MAX_PROBABILITY -> p.maxProbability();
            case MARGIN -> p.margin();
            case ENTROPY -> 1f - p.normalisedEntropy();
        };
    }
}

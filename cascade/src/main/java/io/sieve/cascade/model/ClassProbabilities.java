package io.sieve.cascade.model;

/** One model's answer for one image: the softmax vector and the confidence measures derived from it. */
public record ClassProbabilities(float[] probabilities, int label, float maxProbability, float margin, float normalisedEntropy) {

    /** Derives label and confidence measures from a probability vector. */
    public static ClassProbabilities of(float[] probabilities) {
        int top = 0;
        float best = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        double entropy = 0;
        for (int i = 0; i < probabilities.length; i++) {
            float p = probabilities[i];
            if (p > best) {
                second = best;
                best = p;
                top = i;
            } else if (p > second) {
                second = p;
            }
            if (p > 0) {
                entropy -= p * Math.log(p);
            }
        }
        float normalised = (float) Math.min(1.0, entropy / Math.log(probabilities.length));
        return new ClassProbabilities(probabilities, top, best, best - second, normalised);
    }

    public float confidence(ConfidenceMeasure measure) {
        return measure.of(this);
    }
}

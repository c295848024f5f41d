package io.sieve.cascade.runtime;

import io.sieve.cascade.model.ClassProbabilities;

/**
 * What one stage made of one frame: its prediction, the confidence under the stage's measure,
 * whether that clears the exit threshold (always true at the last stage), and the model time per
 * frame (its batch's time divided by the batch size).
 */
public record StageDecision(int stage, String model, ClassProbabilities prediction, float confidence, boolean exits, long micros) {
    public int label() {
        return prediction.label();
    }
}

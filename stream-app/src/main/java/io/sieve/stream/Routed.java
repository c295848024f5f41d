package io.sieve.stream;

import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;

/** A stage processor's output: each kind goes to its own topic, and the topology routes every kind explicitly. */
sealed interface Routed {
    /** A frame's answer, for the predictions topic. */
    record Decided(Prediction prediction) implements Routed {
    }

    /** Frames the fused stages could not decide, for the next stage's topic. */
    record Unsure(FrameBatch batch) implements Routed {
    }

    /** A record or frame that cannot be processed, for the dead-letter topic. */
    record Rejected(DeadLetter letter) implements Routed {
    }
}

package io.sieve.stream;

import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import org.apache.avro.specific.SpecificRecord;

/** A stage's output, tagged with where it goes. */
public record Routed(Kind kind, SpecificRecord record) {
    public enum Kind { PREDICTION, NEXT_STAGE, DEAD_LETTER }

    static Routed prediction(Prediction p) {
        return new Routed(Kind.PREDICTION, p);
    }

    static Routed nextStage(FrameBatch batch) {
        return new Routed(Kind.NEXT_STAGE, batch);
    }

    static Routed deadLetter(DeadLetter d) {
        return new Routed(Kind.DEAD_LETTER, d);
    }
}

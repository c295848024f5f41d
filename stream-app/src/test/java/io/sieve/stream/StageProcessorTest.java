package io.sieve.stream;

import static io.sieve.stream.StageProcessor.CAUGHT_UP_MILLIS;
import static io.sieve.stream.StageProcessor.eagerCommitDue;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StageProcessorTest {

    @Test
    void aFreshRecordAsksForACommitOncePerGap() {
        assertThat(eagerCommitDue(5, 20, 20)).isTrue();
        assertThat(eagerCommitDue(5, 19, 20)).as("within the gap").isFalse();
        assertThat(eagerCommitDue(CAUGHT_UP_MILLIS - 1, 1_000, 20)).isTrue();
    }

    @Test
    void aBacklogLeavesCommitsToTheCommitInterval() {
        assertThat(eagerCommitDue(CAUGHT_UP_MILLIS, 1_000, 20)).isFalse();
        assertThat(eagerCommitDue(60_000, 1_000, 20)).isFalse();
    }

    @Test
    void zeroTurnsEagerCommitsOff() {
        assertThat(eagerCommitDue(0, 1_000, 0)).isFalse();
    }
}

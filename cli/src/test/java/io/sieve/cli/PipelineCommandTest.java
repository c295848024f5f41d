package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PipelineCommandTest {

    @Test
    void roundsAreQuotedAsTheMedianWithTheirRange() {
        assertThat(PipelineCommand.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(PipelineCommand.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
        assertThat(PipelineCommand.medianRange(new double[] {120, 95, 101}, "%.0f")).isEqualTo("101 [95-120]");
        assertThat(PipelineCommand.medianRange(new double[] {0.91}, "%.0f%%")).as("one round").isEqualTo("1%");
    }
}

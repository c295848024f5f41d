package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineCommandTest {

    @Test
    void roundsAreQuotedAsTheMedianWithTheirRange() {
        assertThat(PipelineCommand.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(PipelineCommand.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
        assertThat(PipelineCommand.medianRange(new double[] {120, 95, 101}, "%.0f")).isEqualTo("101 [95-120]");
        assertThat(PipelineCommand.medianRange(new double[] {0.91}, "%.0f%%")).as("one round").isEqualTo("1%");
    }

    @Test
    void moreFramesThanTheTestDataHoldsCycleThroughItAgain() {
        Image image = new Image(2, 2, 3, Image.Layout.CHW, new byte[12]);
        LabelledImages test = new LabelledImages("test", List.of("a", "b", "c"), List.of(image, image, image), new int[] {0, 1, 2}, "");
        assertThat(PipelineCommand.cycled(test, 8).labels()).containsExactly(0, 1, 2, 0, 1, 2, 0, 1);
        assertThat(PipelineCommand.cycled(test, 8).images()).hasSize(8);
        assertThat(PipelineCommand.cycled(test, 2).labels()).containsExactly(0, 1);
    }
}

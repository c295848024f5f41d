package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    private static final String SCRAPE = """
            # HELP sieve_stage_frames_in_total frames into a stage
            # TYPE sieve_stage_frames_in_total counter
            sieve_stage_frames_in_total{model="cheap",stage="0"} 40.0
            sieve_stage_frames_in_total{model="expensive",stage="1"} 12.0
            sieve_stage_frames_in_total_extra{stage="0"} 99.0
            uptime 3.5
            """;

    @Test
    void samplesOfOneMetricFilteredByLabels() {
        assertThat(PrometheusText.samples(SCRAPE, "sieve_stage_frames_in_total").sum()).isEqualTo(52.0);
        assertThat(PrometheusText.samples(SCRAPE, "sieve_stage_frames_in_total", "stage=\"0\"").toArray()).containsExactly(40.0);
        assertThat(PrometheusText.samples(SCRAPE, "uptime").toArray()).containsExactly(3.5);
        assertThat(PrometheusText.samples(SCRAPE, "missing").count()).isZero();
    }
}

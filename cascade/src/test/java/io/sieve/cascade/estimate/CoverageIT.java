package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.images.LabelledImages;
import io.sieve.cascade.runtime.Cascade;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cascade's decisions on the whole test batch, replayed in 200 seeded random orders: the 95%
 * intervals for accuracy and for the number of automobiles must cover the truth in at least 93% of
 * replays at 10, 25, 50 and 100% progress; for the default cascade (three stages) and the light one
 * (two). Writes the tables EVALUATION.md quotes to cascade/target/coverage-NAME.md.
 */
@Tag("integration")
class CoverageIT {
    private static final double[] PROGRESS = {0.10, 0.25, 0.50, 1.00};

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "light"})
    void intervalsOnTheTestBatchCoverTheTruth(String name) throws Exception {
        Path home = CoverageCheck.home();
        LabelledImages test = CoverageCheck.testBatchOrSkip();
        Path cascadeFile = home.resolve("models/cascades/" + name + ".cascade.json");
        List<CoverageCheck.Decision> decisions;
        List<StageCalibration> calibration;
        int target;
        try (Cascade cascade = Cascade.load(cascadeFile, 2)) {
            calibration = StageCalibration.of(cascade.definition());
            assertThat(calibration).as("calibration tables in " + cascadeFile).isNotEmpty();
            target = cascade.stages().get(0).model().card().classes().indexOf("automobile");
            decisions = CoverageCheck.decisions(cascade, test);
        }
        Map<Double, double[]> coverage = CoverageCheck.run(decisions, calibration, 10, target, 200, PROGRESS, 2026);
        StringBuilder table = new StringBuilder("| progress | accuracy interval covers | automobile-count interval covers |\n| ---: | ---: | ---: |\n");
        coverage.forEach((share, c) -> table.append(String.format("| %.0f%% | %.1f%% | %.1f%% |%n", 100 * share, 100 * c[0], 100 * c[1])));
        Files.writeString(home.resolve("cascade/target/coverage-" + name + ".md"), table.toString());
        System.out.print(table);
        coverage.forEach((share, c) -> {
            assertThat(c[0]).as("accuracy coverage at %.0f%%", 100 * share).isGreaterThanOrEqualTo(0.93);
            assertThat(c[1]).as("automobile-count coverage at %.0f%%", 100 * share).isGreaterThanOrEqualTo(0.93);
        });
    }
}

package io.sieve.cli;

import io.sieve.cascade.calibration.ReliabilityTable;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.runtime.CascadeDefinition;
import java.nio.file.Path;
import java.util.List;

/** A two-stage cascade of the tiny untrained test models, with calibration tables, for fast end-to-end tests. */
final class FixtureCascade {
    private FixtureCascade() {
    }

    static Path home() {
        return Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath().normalize();
    }

    static Path write(Path dir) throws Exception {
        return write(dir, 0.105);
    }

    /** @param threshold stage 0's exit threshold; above 1 sends every frame on to stage 1 */
    static Path write(Path dir, double threshold) throws Exception {
        Path fixtures = home().resolve("cascade/src/test/resources/fixtures");
        int[][] confusion = new int[10][10];
        for (int i = 0; i < 10; i++) {
            confusion[i][i] = 60;
            confusion[i][(i + 1) % 10] = 40;
        }
        var reliability = new ReliabilityTable(List.of(new ReliabilityTable.Bin(0, 1, 100, 60)));
        CascadeDefinition definition = new CascadeDefinition("fixture", List.of(
                new CascadeDefinition.StageDefinition(fixtures.resolve("tiny_logits.card.json").toString(),
                        ConfidenceMeasure.MAX_PROBABILITY, threshold, null, null, reliability, confusion),
                new CascadeDefinition.StageDefinition(fixtures.resolve("tiny_softmax.card.json").toString(),
                        ConfidenceMeasure.MAX_PROBABILITY, null, null, null, reliability, confusion)), null);
        Path file = dir.resolve("fixture.cascade.json");
        definition.write(file);
        return file;
    }
}

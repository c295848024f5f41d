package io.sieve.cli;

import io.sieve.cascade.calibration.Calibrator;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.calibration.ScoreTable;
import io.sieve.cascade.calibration.Thresholds;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.definition.ExitProfile;
import io.sieve.images.LabelledImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "profile", mixinStandardHelpOptions = true,
        description = {"Measure, for a cascade's thresholds as they are, what the drift alarm compares a live stream against: on the",
            "cascade's calibration data, the frames reaching each stage before the last, the share it decides, and the share",
            "of those the last stage labels otherwise. Writes them into the cascade file; the thresholds stay. `calibrate`",
            "does this itself: use it for cascade files written by hand or by earlier Sieve versions."})
final class ProfileCommand implements Callable<Integer> {

    @Option(names = "--cascade", required = true, description = "The cascade file to profile (rewritten in place).")
    Path cascadeFile;

    @Mixin
    ModelOptions options;

    @Override
    public Integer call() throws Exception {
        CascadeDefinition definition = CascadeDefinition.read(cascadeFile);
        ModelCards cards = ModelCards.ofCascade(cascadeFile);
        LabelledImages calibration = options.labelled(cards, EvaluateCommand.recordedData(definition)).calibration();
        System.out.printf("Profiling %s on %,d calibration frames (%s)%n", definition.name(), calibration.size(), calibration.name());
        List<Path> cardPaths = IntStream.range(0, definition.stages().size()).mapToObj(s -> definition.cardPath(cascadeFile, s)).toList();
        List<ModelScores> scores = options.score(cardPaths, calibration);
        ScoreTable table = Calibrator.table(scores, definition.stages().get(0).measure(), Calibrator.CostUnit.MS, calibration.labels());
        Thresholds thresholds = Thresholds.of(definition);
        List<ExitProfile> profiles = new ArrayList<>();
        for (int s = 0; s < definition.stages().size(); s++) {
            boolean last = s == definition.stages().size() - 1;
            ExitProfile profile = last ? null : table.exitProfile(thresholds, s);
            profiles.add(profile);
            if (profile != null) {
                System.out.printf("  stage %d %-16s reached by %,d frames, decides %.1f%% of them; the last stage disagrees on %.2f%% of those%n",
                        s, scores.get(s).name(), profile.reached(), 100.0 * profile.exited() / Math.max(1, profile.reached()),
                        100.0 * profile.exitedDisagreeing() / Math.max(1, profile.exited()));
            }
        }
        definition.withExitProfiles(profiles).write(cascadeFile);
        System.out.println("Wrote " + cascadeFile);
        return 0;
    }
}

package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.definition.ExitProfile;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Self-correcting thresholds measured where they are for: the test batch replayed 200 times per
 * setting (fresh order and audit coins), without the control and with it (on labelled frames, the
 * accuracy loss; without labels, the disagreement against calibration's), in AuditCoverageIT's three
 * settings (the light cascade, the cheap model trained on its calibration frames, the darkened
 * stream), at the default 5% audit and at 30%. Asserts what the default (on) rests on: on frames
 * like calibration's the control costs at most a point of expensive calls and no accuracy, and with
 * an audit large enough to see it, it brings the leaky cascade's loss down. Writes the table EVALUATION.md quotes to cascade/target/threshold-control.md.
 */
@Tag("integration")
class ThresholdControlIT {
    private static final int REPLAYS = 200;
    /** The cascade's default audit rate, and a high one under which the audit sees more. */
    private static final double[] AUDIT_RATES = {0.05, 0.30};
    /** Frames per progress record at the demo's 250 frames/s and 500 ms records. */
    private static final int DECIDE_EVERY = 125;

    @Test
    void selfCorrectionKeepsTheBudgetWhereCalibrationDoesNotAndCostsLittleWhereItDoes() throws Exception {
        Path home = CoverageCheck.home();
        LabelledImages test = CoverageCheck.testBatchOrSkip();
        record Setting(String name, String cascade, UnaryOperator<Image> shift) {
        }
        StringBuilder table = new StringBuilder("""
                | setting | audit | thresholds | accuracy lost against ResNet-20: mean, replays over budget | disagreement with ResNet-20 | accuracy | frames run by ResNet-20 (answers and audits) | speedup over ResNet-20 alone (cost model) | stage 0 threshold at the end, changes per replay |
                | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |
                """);
        List<String> failures = new ArrayList<>();
        UnaryOperator<Image> identity = UnaryOperator.identity();
        for (Setting setting : List.of(new Setting("light cascade, test batch", "light.cascade.json", identity),
                new Setting("cheap model trained on its calibration frames", "leaky.cascade.json", identity),
                new Setting("light cascade, test batch at 35% brightness", "light.cascade.json", AuditCoverageIT::darker))) {
            List<ThresholdControlCheck.Frame> frames;
            CascadeDefinition definition;
            try (Cascade cascade = Cascade.load(home.resolve("models/cascades").resolve(setting.cascade()), 2)) {
                definition = cascade.definition();
                frames = ThresholdControlCheck.frames(cascade, test, setting.shift());
            }
            double threshold = definition.lowestExitConfidences().get(0);
            double budget = definition.lossBudget();
            double cheapCost = definition.stages().get(0).cost().msPerImage();
            double lastCost = definition.stages().get(1).cost().msPerImage();
            ExitProfile profile = definition.stages().get(0).exitProfile();
            double calibrationDisagreement = (double) profile.exitedDisagreeing() / profile.reached();
            for (double audit : AUDIT_RATES) {
                ThresholdControlCheck.Result off = ThresholdControlCheck.run(frames, threshold, budget, budget, true, false, audit,
                        DECIDE_EVERY, REPLAYS, 2026);
                ThresholdControlCheck.Result labelled = ThresholdControlCheck.run(frames, threshold, budget, budget, true, true, audit,
                        DECIDE_EVERY, REPLAYS, 2026);
                ThresholdControlCheck.Result unlabelled = ThresholdControlCheck.run(frames, threshold, calibrationDisagreement, budget, false,
                        true, audit, DECIDE_EVERY, REPLAYS, 2026);
                for (ThresholdControlCheck.Result r : List.of(off, labelled, unlabelled)) {
                    table.append(String.format("| %s | %.0f%% | %s | %.2f pts, %.0f%% | %.2f%% | %.2f%% | %.1f%% | %.2fx | %.3f, %.1f |%n",
                            setting.name(), 100 * audit, r == off ? "calibration's" : r == labelled
                                    ? String.format("self-correcting: accuracy loss (labelled frames) <= %.1f pts", 100 * budget)
                                    : String.format("self-correcting: disagreement <= calibration's %.2f%%", 100 * calibrationDisagreement),
                            100 * r.meanLoss(), 100 * r.overBudget(), 100 * r.meanDisagreement(), 100 * r.meanAccuracy(),
                            100 * r.lastStageShare(), lastCost / (cheapCost + r.lastStageShare() * lastCost), r.finalThreshold(), r.changes()));
                }
                if (setting.cascade().startsWith("light") && setting.shift() == identity) {
                    for (ThresholdControlCheck.Result on : List.of(labelled, unlabelled)) {
                        if (on.lastStageShare() > off.lastStageShare() + 0.01 || on.meanLoss() > off.meanLoss() + 0.001) {
                            failures.add(String.format("%s, audit %.0f%%: the control cost %.1f%% of frames at the last stage against %.1f%%, "
                                    + "loss %.2f against %.2f points", setting.name(), 100 * audit, 100 * on.lastStageShare(),
                                    100 * off.lastStageShare(), 100 * on.meanLoss(), 100 * off.meanLoss()));
                        }
                    }
                }
                if (setting.cascade().startsWith("leaky") && audit == AUDIT_RATES[1] && !(unlabelled.meanLoss() < off.meanLoss() - 0.001)) {
                    failures.add(String.format("%s, audit %.0f%%: loss %.2f points with the control, %.2f without", setting.name(),
                            100 * audit, 100 * unlabelled.meanLoss(), 100 * off.meanLoss()));
                }
            }
        }
        Files.createDirectories(home.resolve("cascade/target"));
        Files.writeString(home.resolve("cascade/target/threshold-control.md"), table);
        System.out.print(table);
        assertThat(failures).as("self-correction's promises").isEmpty();
    }
}

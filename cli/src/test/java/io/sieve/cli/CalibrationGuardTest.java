package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.Guarantee;
import io.sieve.cascade.calibration.CalibrationException;
import io.sieve.cascade.calibration.Calibrator;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.model.ModelCard;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What calibrate refuses or warns about before a user trusts its thresholds. */
class CalibrationGuardTest {

    /** 1,000 frames of which {@code right} are predicted correctly, by a model whose card states {@code heldOut}. */
    private static ModelScores scores(int right, Double heldOut, int[] truth) {
        ModelCard fixture = ModelCard.read(FixtureCascade.home().resolve("cascade/src/test/resources/fixtures/tiny_logits.card.json"));
        ModelCard card = new ModelCard(fixture.name(), null, fixture.onnx(), fixture.input(), fixture.output(), null, fixture.classes(),
                null, null, null, null, heldOut, null, null, fixture.cardPath());
        List<ClassProbabilities> predictions = new ArrayList<>();
        for (int i = 0; i < truth.length; i++) {
            float[] p = new float[10];
            p[i < right ? truth[i] : (truth[i] + 1) % 10] = 1;
            predictions.add(ClassProbabilities.of(p));
        }
        return new ModelScores(card, predictions, new double[] {1}, truth.length);
    }

    @Test
    void aModelFarBetterOnTheCalibrationFramesThanItsCardSaysIsFlaggedAsTrainedOnThem() {
        int[] truth = new int[1000];
        for (int i = 0; i < truth.length; i++) {
            truth[i] = i % 10;
        }
        assertThat(CalibrateCommand.seenInTrainingWarning(scores(990, 0.85, truth), truth)).hasValueSatisfying(w ->
                assertThat(w).contains("99.00% accurate on these calibration frames", "85.00% on held-out data", "trained on"));
        // Within sampling noise of the stated accuracy, or nothing stated: no warning.
        assertThat(CalibrateCommand.seenInTrainingWarning(scores(860, 0.85, truth), truth)).isEmpty();
        assertThat(CalibrateCommand.seenInTrainingWarning(scores(990, null, truth), truth)).isEmpty();
    }

    @Test
    void tooFewCalibrationFramesForTheBudgetAreRefusedWithHowManyAreNeeded() {
        // (1 - 0.01)^n <= 0.01 first holds at n = 459.
        assertThat(Calibrator.framesForLossBound(Budget.maxLoss(0.01), 0.99)).isEqualTo(459);
        Calibrator.requireEnoughFrames(Budget.maxLoss(0.01), 0.99, 459, 2, Guarantee.SEARCH_WIDE, "x");
        assertThatThrownBy(() -> Calibrator.requireEnoughFrames(Budget.maxLoss(0.01), 0.99, 300, 2, Guarantee.SEARCH_WIDE,
                "my-images (first part)"))
                .isInstanceOf(CalibrationException.class)
                .hasMessageContaining("at least 459 labelled frames").hasMessageContaining("my-images (first part)")
                .hasMessageContaining("holds 300");
    }

    @Test
    void threeStagesNeedEnoughFramesBesidesThoseThatOrderTheirCandidates() {
        // 459 must test the candidates; 20% of 574 (115) order them and 459 are left.
        assertThatThrownBy(() -> Calibrator.requireEnoughFrames(Budget.maxLoss(0.01), 0.99, 500, 3, Guarantee.SEARCH_WIDE, "x"))
                .isInstanceOf(CalibrationException.class)
                .hasMessageContaining("at least 574 labelled frames").hasMessageContaining("order the candidates");
        Calibrator.requireEnoughFrames(Budget.maxLoss(0.01), 0.99, 574, 3, Guarantee.SEARCH_WIDE, "x");
        Calibrator.requireEnoughFrames(Budget.maxLoss(0.01), 0.99, 500, 3, Guarantee.PER_CANDIDATE, "x");
    }
}

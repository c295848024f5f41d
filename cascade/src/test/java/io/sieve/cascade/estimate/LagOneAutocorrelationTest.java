package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LagOneAutocorrelationTest {

    @Test
    void independentValuesInflateNothing() {
        LagOneAutocorrelation rho = new LagOneAutocorrelation();
        Random random = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            rho.observe(random.nextBoolean() ? 1 : 0);
        }
        assertThat(rho.designEffect()).isCloseTo(1.0, within(0.05));
    }

    @Test
    void longRunsInflateTheVarianceAsAnAr1SequenceWould() {
        // A two-state Markov chain that stays with probability 0.9 has lag-1 autocorrelation 0.8: (1 + 0.8) / (1 - 0.8) = 9.
        LagOneAutocorrelation rho = new LagOneAutocorrelation();
        Random random = new Random(2);
        int x = 0;
        for (int i = 0; i < 200_000; i++) {
            rho.observe(x);
            if (random.nextDouble() >= 0.9) {
                x = 1 - x;
            }
        }
        assertThat(rho.designEffect()).isCloseTo(9.0, within(0.5));
    }

    @Test
    void tooFewPairsOrAConstantIndicatorGiveOneAndTheInflationIsCapped() {
        LagOneAutocorrelation few = new LagOneAutocorrelation();
        for (int i = 0; i < LagOneAutocorrelation.MIN_PAIRS; i++) {
            few.observe(i % 2);
        }
        assertThat(few.designEffect()).isEqualTo(1.0);
        LagOneAutocorrelation constant = new LagOneAutocorrelation();
        for (int i = 0; i < 1000; i++) {
            constant.observe(1);
        }
        assertThat(constant.designEffect()).isEqualTo(1.0);
        LagOneAutocorrelation blocks = new LagOneAutocorrelation();
        for (int i = 0; i < 10_000; i++) {
            blocks.observe((i / 2000) % 2);
        }
        assertThat(blocks.designEffect()).isCloseTo((1 + 0.95) / (1 - 0.95), within(1e-9));
    }

    @Test
    void aRestoredStateContinuesWhereItStopped() {
        LagOneAutocorrelation whole = new LagOneAutocorrelation();
        LagOneAutocorrelation first = new LagOneAutocorrelation();
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            int x = random.nextInt(5) == 0 ? 1 - (i % 2) : i % 2;
            whole.observe(x);
            first.observe(x);
        }
        LagOneAutocorrelation resumed = new LagOneAutocorrelation(first.state());
        for (int i = 0; i < 500; i++) {
            whole.observe(i % 3 == 0 ? 1 : 0);
            resumed.observe(i % 3 == 0 ? 1 : 0);
        }
        assertThat(resumed.state()).isEqualTo(whole.state());
        assertThatThrownBy(() -> resumed.observe(2)).isInstanceOf(IllegalArgumentException.class);
    }
}

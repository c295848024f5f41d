package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrecisionTargetTest {

    @Test
    void aBadRequestIsRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> new PrecisionTarget(null, null, 0.95, null)).hasMessageContaining("a share or a count");
        assertThatThrownBy(() -> new PrecisionTarget(2.0, null, 0.95, null)).hasMessageContaining("0.02 is +-2 points");
        assertThatThrownBy(() -> new PrecisionTarget(null, -5.0, 0.95, null)).hasMessageContaining("positive number of frames");
        assertThatThrownBy(() -> new PrecisionTarget(0.02, null, 95, null)).hasMessageContaining("0.95 is 95%");
    }

    @Test
    void isReachedWhenEveryIntervalInScopeIsNarrowEnoughAfterEnoughDecisions() {
        PrecisionTarget twoPoints = new PrecisionTarget(0.02, null, 0.95, 10_000L);
        List<Interval> narrow = List.of(new Interval(1000, 850, 1150), new Interval(500, 420, 690));
        assertThat(twoPoints.check(narrow, 10_000, 5000).reached()).as("the widest side is 190 frames, +-1.9 points").isTrue();
        assertThat(twoPoints.check(narrow, 10_000, 5000).halfWidth()).isEqualTo(190);
        assertThat(twoPoints.check(narrow, 10_000, 5000).shareHalfWidth()).isEqualTo(0.019);
        assertThat(twoPoints.check(narrow, 10_000, PrecisionTarget.MIN_DECISIONS - 1).reached()).as("too few decisions").isFalse();
        assertThat(twoPoints.check(List.of(new Interval(500, 280, 600)), 10_000, 5000).reached()).as("220 frames below").isFalse();
        PrecisionTarget fiftyFrames = new PrecisionTarget(null, 50.0, 0.95, null);
        assertThat(fiftyFrames.check(List.of(new Interval(500, 460, 540)), 10_000, 5000).reached()).isTrue();
        assertThat(fiftyFrames.check(List.of(new Interval(Double.NaN, 0, 10_000)), 10_000, 5000).reached()).as("no estimate yet").isFalse();
        PrecisionTarget both = new PrecisionTarget(0.02, 50.0, 0.95, 10_000L);
        assertThat(both.check(narrow, 10_000, 5000).reached()).as("the stricter of the two").isFalse();
        assertThat(both.describe()).isEqualTo("+-2.0 points and +-50 frames at 95%");
        assertThat(twoPoints.describe()).isEqualTo("+-2.0 points at 95%");
    }

    @Test
    void itsIntervalsWidenWithTheDesignEffectOfRepeatedFrames() {
        PrecisionTarget target = new PrecisionTarget(0.02, null, 0.95, null);
        assertThat(target.multiplier(2000, 4)).isGreaterThan(target.multiplier(2000, 1));
        assertThat(target.multiplier(2000, 1)).isGreaterThan(Interval.Z95);
    }
}

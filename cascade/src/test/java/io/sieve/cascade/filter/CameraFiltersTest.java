package io.sieve.cascade.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CameraFiltersTest {

    @Test
    void theLongestMatchingPatternGivesACamerasThreshold() {
        CameraFilters filters = CameraFilters.parse("4, scene-*=20, scene-lobby=0, scene-lobby-*=9", "none");
        assertThat(filters.filterFor("parking").threshold()).isEqualTo(4);
        assertThat(filters.filterFor("scene-1").threshold()).isEqualTo(20);
        assertThat(filters.filterFor("scene-lobby").enabled()).isFalse();
        assertThat(filters.filterFor("scene-lobby-2").threshold()).isEqualTo(9);
        assertThat(filters.learnsBackground("scene-1")).isFalse();
        assertThat(CameraFilters.everywhere(0).filterFor("any").enabled()).isFalse();
    }

    @Test
    void backgroundsAreLearnedWhereAskedAndTheFilterIsOn() {
        CameraFilters filters = CameraFilters.parse("0,scene-*=20", "scene-*");
        assertThat(filters.learnsBackground("scene-2")).isTrue();
        assertThat(filters.learnsBackground("parking")).isFalse();
        CameraFilters everyCamera = CameraFilters.parse("20,parking=0", "*");
        assertThat(everyCamera.learnsBackground("lobby")).isTrue();
        assertThat(everyCamera.learnsBackground("parking")).as("no filter, so no scenes to learn from").isFalse();
    }

    @Test
    void badSettingsSayWhatIsWrong() {
        assertThatThrownBy(() -> CameraFilters.parse("fast", "none")).hasMessageContaining("'fast'").hasMessageContaining("not a number");
        assertThatThrownBy(() -> CameraFilters.parse("4,scene-*", "none")).hasMessageContaining("DEFAULT[,CAMERA=THRESHOLD...]");
        assertThatThrownBy(() -> CameraFilters.parse("4,a*b=3", "none")).hasMessageContaining("may end in *");
        assertThatThrownBy(() -> CameraFilters.parse("4,a=3,a=5", "none")).hasMessageContaining("two filter thresholds");
        assertThatThrownBy(() -> CameraFilters.parse("4,x=300", "none")).hasMessageContaining("[0, 255]");
        assertThatThrownBy(() -> CameraFilters.parse("0", "lobby")).hasMessageContaining("[lobby]").hasMessageContaining("off for every camera");
    }
}

package io.sieve.cascade.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.images.Image;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SceneBackgroundTest {
    private static final int SIDE = 16;

    /** A scene of random blocks (seeded), at {@code brightness} times its own light. */
    private static Image scene(long seed, double brightness) {
        Random random = new Random(seed);
        byte[] px = new byte[SIDE * SIDE * 3];
        int[] level = new int[16];
        for (int b = 0; b < level.length; b++) {
            level[b] = 40 + random.nextInt(160);
        }
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                for (int c = 0; c < 3; c++) {
                    px[3 * (y * SIDE + x) + c] = (byte) Math.min(255, Math.round(level[(y / 4) * 4 + x / 4] * brightness));
                }
            }
        }
        return new Image(SIDE, SIDE, 3, Image.Layout.HWC, px);
    }

    /** {@code base} with one 2 x 2 pixel patch set to white: a small object in one block. */
    private static Image withSmallObject(Image base) {
        byte[] px = base.pixels().clone();
        for (int y = 6; y < 8; y++) {
            for (int x = 6; x < 8; x++) {
                for (int c = 0; c < 3; c++) {
                    px[3 * (y * SIDE + x) + c] = (byte) 255;
                }
            }
        }
        return new Image(SIDE, SIDE, 3, Image.Layout.HWC, px);
    }

    @Test
    void theSceneTheCameraComesBackToAfterObjectsPassIsItsBackground() {
        SceneBackground background = new SceneBackground(10);
        assertThat(background.isBackground(scene(0, 1), 0)).as("a first scene is not known to be the background").isFalse();
        assertThat(background.isBackground(scene(1, 1), 20)).isFalse();
        assertThat(background.learned()).isFalse();
        assertThat(background.isBackground(scene(0, 1), 40)).as("it came back after the object left").isTrue();
        assertThat(background.learned()).isTrue();
        assertThat(background.isBackground(scene(2, 1), 60)).isFalse();
        // Dimmer light on the next return: the same scene.
        assertThat(background.isBackground(scene(0, 0.85), 80)).isTrue();
        assertThat(background.isBackground(scene(1, 1), 100)).as("an object seen twice is not the background").isFalse();
    }

    @Test
    void anObjectCoveringOneBlockIsSomethingInView() {
        SceneBackground background = new SceneBackground(10);
        background.isBackground(scene(0, 1), 0);
        background.isBackground(scene(1, 1), 20);
        assertThat(background.isBackground(scene(0, 1), 40)).isTrue();
        Image small = withSmallObject(scene(0, 1));
        assertThat(DifferenceFilter.meanAbsoluteDifference(scene(0, 1), small))
                .as("too small a change for a mean over the frame to notice").isLessThan(3);
        assertThat(background.isBackground(small, 60)).isFalse();
    }

    @Test
    void aSceneBackAfterAMomentsShakeHasNotBeenLeft() {
        SceneBackground background = new SceneBackground(10);
        background.isBackground(scene(1, 1), 0);
        // A shake: a different picture for three frames, then the object again; it was never out of view.
        background.isBackground(scene(7, 1), 30);
        assertThat(background.isBackground(scene(1, 1), 33)).isFalse();
        assertThat(background.learned()).isFalse();
        assertThat(background.isBackground(scene(0, 1), 60)).isFalse();
        assertThat(background.isBackground(scene(1, 1), 80)).as("back after 20 frames away: now a return").isTrue();
    }

    @Test
    void framesOfAnotherShapeAreAnotherSceneAndTheThresholdIsChecked() {
        Image tall = new Image(SIDE, 2 * SIDE, 3, Image.Layout.HWC, new byte[SIDE * 2 * SIDE * 3]);
        assertThat(SceneBackground.sameScene(scene(0, 1), tall, 255)).isFalse();
        assertThat(SceneBackground.sameScene(scene(0, 1), scene(0, 1), 0.001)).isTrue();
        assertThatThrownBy(() -> new SceneBackground(0)).hasMessageContaining("(0, 255]");
    }
}

package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.cascade.filter.DifferenceFilter;
import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import io.sieve.producer.SceneSource;
import io.sieve.producer.SourceFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The difference filter's decisions on scene cameras, whose truth says where every scene starts and ends. */
class SceneFilterTest {
    private static final int SIDE = 32;
    private static final double FPS = 12.5;
    private static final int FRAMES = 2500;

    /** Textured objects (smooth blobs over noise), unlike one another and unlike any scene's background. */
    private static LabelledImages objects() {
        SplittableRandom random = new SplittableRandom(11);
        List<Image> images = new ArrayList<>();
        int[] labels = new int[12];
        for (int o = 0; o < labels.length; o++) {
            labels[o] = o % 4;
            int[] base = {random.nextInt(256), random.nextInt(256), random.nextInt(256)};
            double cx = random.nextDouble(SIDE);
            double cy = random.nextDouble(SIDE);
            byte[] px = new byte[SIDE * SIDE * 3];
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    double blob = 100 * Math.exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 60);
                    for (int c = 0; c < 3; c++) {
                        px[3 * (y * SIDE + x) + c] = (byte) Math.max(0, Math.min(255, base[c] + blob * (c - 1) + random.nextInt(-20, 21)));
                    }
                }
            }
            images.add(new Image(SIDE, SIDE, 3, Image.Layout.HWC, px));
        }
        return new LabelledImages("blobs", List.of("a", "b", "c", "d"), images, labels, "none");
    }

    private record Camera(List<Image> frames, List<Integer> truth, int scenes) {
    }

    private static Camera camera(LabelledImages objects, long seed, String id) {
        List<Image> frames = new ArrayList<>();
        List<Integer> truth = new ArrayList<>();
        int scenes = 0;
        try (SceneSource source = new SceneSource(id, objects, SIDE, SIDE, FPS, seed, FRAMES)) {
            for (SourceFrame f = source.next(); f != null; f = source.next()) {
                scenes += truth.isEmpty() || !Objects.equals(truth.get(truth.size() - 1), f.label()) ? 1 : 0;
                frames.add(f.image());
                truth.add(f.label());
            }
        }
        return new Camera(frames, truth, scenes);
    }

    @Test
    void everySceneChangeStartsANewReferenceAndAFixedSceneRunsTheModelsOnlyAFewTimes() {
        LabelledImages objects = objects();
        DifferenceFilter filter = new DifferenceFilter(20);
        for (long seed = 1; seed <= 3; seed++) {
            Camera camera = camera(objects, seed, "camera-" + seed);
            int[] refs = filter.references(camera.frames());
            int calls = 0;
            for (int i = 0; i < refs.length; i++) {
                calls += refs[i] == i ? 1 : 0;
                assertThat(camera.truth().get(refs[i])).as("seed %d frame %d follows frame %d of another scene", seed, i, refs[i])
                        .isEqualTo(camera.truth().get(i));
            }
            // Each scene needs one call; noise and the slow light drift stay under the threshold, a shake now and then does not.
            assertThat(calls).as("seed %d: %d scenes", seed, camera.scenes()).isBetween(camera.scenes(), 2 * camera.scenes());
            assertThat(FRAMES / (double) calls).as("fewer calls, seed %d", seed).isGreaterThan(20);
        }
    }

    @Test
    void belowTheSensorNoiseEveryFrameRunsTheModels() {
        Camera camera = camera(objects(), 1, "camera-1");
        int[] refs = new DifferenceFilter(1).references(camera.frames());
        long calls = java.util.stream.IntStream.range(0, refs.length).filter(i -> refs[i] == i).count();
        assertThat(calls).isGreaterThan(FRAMES * 99L / 100);
    }
}

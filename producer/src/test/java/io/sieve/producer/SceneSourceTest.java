package io.sieve.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SceneSourceTest {
    private static final int SIDE = 16;

    /** Objects of one flat colour each, so a frame shows which one is in view; labels 0-3. */
    private static LabelledImages objects() {
        List<Image> images = new ArrayList<>();
        int[] labels = {0, 1, 2, 3};
        int[][] colours = {{250, 10, 10}, {10, 250, 10}, {10, 10, 250}, {250, 250, 10}};
        for (int[] colour : colours) {
            byte[] px = new byte[SIDE * SIDE * 3];
            for (int i = 0; i < SIDE * SIDE; i++) {
                for (int c = 0; c < 3; c++) {
                    px[3 * i + c] = (byte) colour[c];
                }
            }
            images.add(new Image(SIDE, SIDE, 3, Image.Layout.HWC, px));
        }
        return new LabelledImages("colours", List.of("red", "green", "blue", "yellow"), images, labels, "none");
    }

    private static List<SourceFrame> drain(FrameSource source) {
        List<SourceFrame> frames = new ArrayList<>();
        for (SourceFrame f = source.next(); f != null; f = source.next()) {
            frames.add(f);
        }
        return frames;
    }

    @Test
    void theSameSeedAndCameraGiveTheSameFramesAndAnotherSeedOthers() {
        List<SourceFrame> a = drain(new SceneSource("cam-1", objects(), SIDE, SIDE, 10, 42, 600));
        List<SourceFrame> b = drain(new SceneSource("cam-1", objects(), SIDE, SIDE, 10, 42, 600));
        List<SourceFrame> otherSeed = drain(new SceneSource("cam-1", objects(), SIDE, SIDE, 10, 43, 600));
        List<SourceFrame> otherCamera = drain(new SceneSource("cam-2", objects(), SIDE, SIDE, 10, 42, 600));
        assertThat(a).hasSize(600);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).image().pixels()).as("frame %d", i).isEqualTo(b.get(i).image().pixels());
            assertThat(a.get(i).label()).isEqualTo(b.get(i).label());
        }
        assertThat(labels(a)).isNotEqualTo(labels(otherSeed));
        assertThat(labels(a)).isNotEqualTo(labels(otherCamera));
    }

    @Test
    void everyFrameCarriesTheLabelOfTheObjectInViewAndNoneWhileTheSceneIsEmpty() {
        SceneSource source = new SceneSource("cam-1", objects(), SIDE, SIDE, 12.5, 7, 5000);
        List<SourceFrame> frames = drain(source);
        for (SourceFrame f : frames) {
            int[] mean = meanColour(f.image());
            Integer label = f.label();
            assertThat(label).isEqualTo(source.truthAt(f.sequence()));
            if (label == null) {
                // The background is no flat primary colour.
                assertThat(dominant(mean)).as("frame %d with an empty scene: %s", f.sequence(), Arrays.toString(mean)).isEqualTo(-1);
            } else {
                assertThat(dominant(mean)).as("frame %d showing %d: %s", f.sequence(), label, Arrays.toString(mean)).isEqualTo(label);
            }
        }
        // Visits alternate between an empty scene (0.5-3 s) and one object (2-8 s), at 12.5 frames/s.
        List<long[]> runs = runs(frames);
        assertThat(runs.size()).isGreaterThan(10);
        for (long[] run : runs.subList(0, runs.size() - 1)) {
            double seconds = run[1] / 12.5;
            if (run[0] < 0) {
                assertThat(seconds).isBetween(SceneSource.MIN_GAP_S - 0.1, SceneSource.MAX_GAP_S + 0.1);
            } else {
                assertThat(seconds).isBetween(SceneSource.MIN_DWELL_S - 0.1, SceneSource.MAX_DWELL_S + 0.1);
            }
        }
        assertThat(frames.stream().map(SourceFrame::label).filter(l -> l != null).distinct().count()).as("every object appears").isEqualTo(4);
    }

    @Test
    void framesOfOneVisitAreAlikeButNotEqual() {
        List<SourceFrame> frames = drain(new SceneSource("cam-1", objects(), SIDE, SIDE, 12.5, 3, 200));
        int equal = 0;
        double maxMeanDifference = 0;
        for (int i = 1; i < frames.size(); i++) {
            if (java.util.Objects.equals(frames.get(i).label(), frames.get(i - 1).label())) {
                byte[] p = frames.get(i).image().pixels();
                byte[] q = frames.get(i - 1).image().pixels();
                equal += Arrays.equals(p, q) ? 1 : 0;
                double sum = 0;
                for (int k = 0; k < p.length; k++) {
                    sum += Math.abs((p[k] & 0xff) - (q[k] & 0xff));
                }
                maxMeanDifference = Math.max(maxMeanDifference, sum / p.length);
            }
        }
        assertThat(equal).as("identical consecutive frames (sensor noise)").isZero();
        assertThat(maxMeanDifference).as("mean grey-level change between consecutive frames of a visit").isLessThan(30);
    }

    @Test
    void objectsKeptChannelByChannelAsCifarDoesShowAsTheSamePicture() {
        LabelledImages interleaved = objects();
        List<Image> planar = new ArrayList<>();
        for (Image image : interleaved.images()) {
            byte[] hwc = image.pixels();
            byte[] chw = new byte[hwc.length];
            int plane = SIDE * SIDE;
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < 3; c++) {
                    chw[c * plane + i] = hwc[3 * i + c];
                }
            }
            planar.add(new Image(SIDE, SIDE, 3, Image.Layout.CHW, chw));
        }
        LabelledImages chwObjects = new LabelledImages("planar", interleaved.classes(), planar, interleaved.labels(), "none");
        List<SourceFrame> a = drain(new SceneSource("cam-1", interleaved, SIDE, SIDE, 10, 5, 300));
        List<SourceFrame> b = drain(new SceneSource("cam-1", chwObjects, SIDE, SIDE, 10, 5, 300));
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).image().layout()).isEqualTo(Image.Layout.HWC);
            assertThat(b.get(i).image().pixels()).as("frame %d", i).isEqualTo(a.get(i).image().pixels());
        }
    }

    @Test
    void theTimelineIsInSecondsWhateverTheRate() {
        SceneSource slow = new SceneSource("cam-1", objects(), SIDE, SIDE, 5, 9, 0);
        SceneSource fast = new SceneSource("cam-1", objects(), SIDE, SIDE, 25, 9, 0);
        for (int second = 0; second < 120; second++) {
            assertThat(fast.truthAt(second * 25L + 10)).as("second %d", second).isEqualTo(slow.truthAt(second * 5L + 2));
        }
        assertThat(slow.expectedFrames()).isEmpty();
        assertThatThrownBy(() -> new SceneSource("cam", objects().first(0), SIDE, SIDE, 5, 1, 0)).hasMessageContaining("at least one");
        assertThatThrownBy(() -> new SceneSource("cam", objects(), SIDE, SIDE, 0, 1, 0)).hasMessageContaining("frame rate");
    }

    private static List<Integer> labels(List<SourceFrame> frames) {
        return frames.stream().map(SourceFrame::label).toList();
    }

    /** Runs of equal truth: {label or -1, frames}. */
    private static List<long[]> runs(List<SourceFrame> frames) {
        List<long[]> runs = new ArrayList<>();
        for (SourceFrame f : frames) {
            long label = f.label() == null ? -1 : f.label();
            if (runs.isEmpty() || runs.get(runs.size() - 1)[0] != label) {
                runs.add(new long[] {label, 0});
            }
            runs.get(runs.size() - 1)[1]++;
        }
        return runs;
    }

    private static int[] meanColour(Image image) {
        long[] sum = new long[3];
        byte[] px = image.pixels();
        for (int i = 0; i < px.length; i++) {
            sum[i % 3] += px[i] & 0xff;
        }
        int n = px.length / 3;
        return new int[] {(int) (sum[0] / n), (int) (sum[1] / n), (int) (sum[2] / n)};
    }

    /** Which flat object colour the mean is (0 red, 1 green, 2 blue, 3 yellow), or -1 for none. */
    private static int dominant(int[] mean) {
        boolean r = mean[0] > 180;
        boolean g = mean[1] > 180;
        boolean b = mean[2] > 180;
        boolean lowR = mean[0] < 70;
        boolean lowG = mean[1] < 70;
        boolean lowB = mean[2] < 70;
        if (r && lowG && lowB) {
            return 0;
        }
        if (g && lowR && lowB) {
            return 1;
        }
        if (b && lowR && lowG) {
            return 2;
        }
        if (r && g && lowB) {
            return 3;
        }
        return -1;
    }
}

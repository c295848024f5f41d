package io.sieve.cascade.model;

import io.sieve.images.Image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxClassifierTest {
    private final Random random = new Random(42);

    @Test
    void predictsProbabilityVectorsAndConsistentConfidenceMeasures() {
        try (OnnxClassifier stage = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1)) {
            List<Image> images = randomImages(300);
            List<ClassProbabilities> predictions = stage.predict(images);
            assertThat(predictions).hasSize(300);
            for (ClassProbabilities p : predictions) {
                double sum = 0;
                int argmax = 0;
                for (int i = 0; i < p.probabilities().length; i++) {
                    sum += p.probabilities()[i];
                    if (p.probabilities()[i] > p.probabilities()[argmax]) {
                        argmax = i;
                    }
                }
                assertThat(sum).isCloseTo(1.0, within(1e-5));
                assertThat(p.label()).isEqualTo(argmax);
                assertThat(p.maxProbability()).isEqualTo(p.probabilities()[argmax]);
                assertThat(p.margin()).isBetween(0f, p.maxProbability());
                assertThat(p.normalisedEntropy()).isBetween(0f, 1f);
            }
        }
    }

    @Test
    void aModelThatOutputsProbabilitiesGivesTheSameAnswersAsItsLogitsTwin() {
        try (OnnxClassifier logits = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1);
             OnnxClassifier softmax = OnnxClassifier.load(Fixtures.card("tiny_softmax"), 1)) {
            List<Image> images = randomImages(64);
            List<ClassProbabilities> a = logits.predict(images);
            List<ClassProbabilities> b = softmax.predict(images);
            for (int i = 0; i < images.size(); i++) {
                assertThat(b.get(i).label()).isEqualTo(a.get(i).label());
                for (int k = 0; k < 10; k++) {
                    assertThat(b.get(i).probabilities()[k]).isCloseTo(a.get(i).probabilities()[k], within(1e-5f));
                }
            }
        }
    }

    @Test
    void interleavedAndPlanarPixelsOfTheSamePictureGiveTheSameAnswer() {
        try (OnnxClassifier stage = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1)) {
            Image chw = Fixtures.randomImage(random, Image.Layout.CHW);
            float[] planar = stage.predict(List.of(chw)).get(0).probabilities();
            float[] interleaved = stage.predict(List.of(Fixtures.toHwc(chw))).get(0).probabilities();
            assertThat(interleaved).containsExactly(planar, within(1e-6f));
        }
    }

    @Test
    void batchedAndSingleImageCallsAgree() {
        try (OnnxClassifier stage = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1)) {
            List<Image> images = randomImages(10);
            List<ClassProbabilities> batched = stage.predict(images);
            for (int i = 0; i < images.size(); i++) {
                assertThat(stage.predict(List.of(images.get(i))).get(0).probabilities())
                        .containsExactly(batched.get(i).probabilities(), within(1e-5f));
            }
        }
    }

    @Test
    void concurrentCallersGetTheSameAnswersAsOne() throws Exception {
        try (OnnxClassifier stage = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1)) {
            List<Image> images = randomImages(200);
            List<ClassProbabilities> expected = stage.predict(images);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<ClassProbabilities>>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> stage.predict(images)));
                }
                for (Future<List<ClassProbabilities>> f : futures) {
                    List<ClassProbabilities> got = f.get();
                    for (int i = 0; i < images.size(); i++) {
                        assertThat(got.get(i).label()).isEqualTo(expected.get(i).label());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aShapeMismatchBetweenCardAndGraphIsAnErrorNamingTheModelAndBothShapes() {
        assertThatThrownBy(() -> OnnxClassifier.load(Fixtures.card("tiny_fixed_batch"), 1))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("tiny_fixed_batch")
                .hasMessageContaining("[1, 3, 28, 28]")
                .hasMessageContaining("[-1, 3, 32, 32]");
    }

    @Test
    void aCardNamingAnInputTheGraphLacksIsAnError(@TempDir Path dir) throws Exception {
        Path card = copyFixture(dir, "tiny_logits", "\"name\": \"input\"", "\"name\": \"pixels\"");
        assertThatThrownBy(() -> OnnxClassifier.load(card, 1)).hasMessageContaining("'pixels' is not in the ONNX graph");
    }

    @Test
    void logitsDeclaredAsProbabilitiesAreRejectedAtPrediction(@TempDir Path dir) throws Exception {
        Path card = copyFixture(dir, "tiny_logits", "\"kind\": \"logits\"", "\"kind\": \"probabilities\"");
        try (OnnxClassifier stage = OnnxClassifier.load(card, 1)) {
            assertThatThrownBy(() -> stage.predict(randomImages(4)))
                    .isInstanceOf(ModelException.class).hasMessageContaining("is not a probability vector");
        }
    }

    @Test
    void inputsThatOverflowToInfinityAfterPreprocessingAreRejectedNotClassified(@TempDir Path dir) throws Exception {
        // A finite scale so large that pixel * scale overflows float: the tensor holds infinities.
        Path card = copyFixture(dir, "tiny_logits", "\"scale\": 0.00392156862745098", "\"scale\": 1.0E300");
        try (OnnxClassifier stage = OnnxClassifier.load(card, 1)) {
            assertThatThrownBy(() -> stage.predict(randomImages(4)))
                    .isInstanceOf(ModelException.class).hasMessageContaining("non-finite");
        }
    }

    @Test
    void anImageOfAnotherSizeIsResizedByTheCardsMethodAndANonRgbImageIsRejected() {
        try (OnnxClassifier stage = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1)) {
            byte[] px = new byte[64 * 48 * 3];
            random.nextBytes(px);
            Image big = new Image(64, 48, 3, Image.Layout.HWC, px);
            Image resized = io.sieve.images.Resize.to(big, 32, 32, io.sieve.images.ResizeMethod.AREA);
            assertThat(stage.predict(List.of(big)).get(0).probabilities())
                    .containsExactly(stage.predict(List.of(resized)).get(0).probabilities());
            Image grey = new Image(32, 32, 1, Image.Layout.HWC, new byte[32 * 32]);
            assertThatThrownBy(() -> stage.predict(List.of(grey))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("takes RGB (3)");
            assertThat(stage.mismatch(grey)).contains("1 channels");
            assertThat(stage.mismatch(new Image(32, 32, 3, Image.Layout.CHW, new byte[32 * 32 * 3]))).isNull();
        }
    }

    @Test
    void anNhwcModelSeesTheSameImageAsItsNchwTwin() {
        try (OnnxClassifier nchw = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1);
             OnnxClassifier nhwc = OnnxClassifier.load(Fixtures.card("tiny_nhwc"), 1)) {
            List<Image> images = randomImages(6);
            List<ClassProbabilities> expected = nchw.predict(images);
            List<ClassProbabilities> actual = nhwc.predict(images);
            for (int i = 0; i < images.size(); i++) {
                float[] e = expected.get(i).probabilities();
                float[] a = actual.get(i).probabilities();
                for (int k = 0; k < e.length; k++) {
                    assertThat(a[k]).isCloseTo(e[k], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }

    private List<Image> randomImages(int n) {
        List<Image> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            images.add(Fixtures.randomImage(random, i % 2 == 0 ? Image.Layout.CHW : Image.Layout.HWC));
        }
        return images;
    }

    private static Path copyFixture(Path dir, String name, String from, String to) throws Exception {
        Path source = Fixtures.card(name);
        Files.copy(source.resolveSibling(name + ".onnx"), dir.resolve(name + ".onnx"));
        Path card = dir.resolve(name + ".card.json");
        String text = Files.readString(source);
        assertThat(text).contains(from);
        Files.writeString(card, text.replace(from, to));
        return card;
    }
}

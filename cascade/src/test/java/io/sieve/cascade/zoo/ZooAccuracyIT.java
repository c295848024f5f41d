package io.sieve.cascade.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.images.Cifar10;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.ModelChain;
import io.sieve.cascade.model.ClassProbabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every committed model, run through the Java stage on the test batch, matches its card's accuracy. */
@Tag("integration")
class ZooAccuracyIT {
    private static LabelledImages test;

    @BeforeAll
    static void loadTestBatch() {
        test = Cifar10.test(Repo.cifarOrSkip());
    }

    static Stream<Path> committedCards() throws IOException {
        try (Stream<Path> files = Files.list(Repo.home().resolve("models/onnx"))) {
            List<Path> cards = files.filter(f -> f.toString().endsWith(".card.json")).sorted().toList();
            assertThat(cards).as("model cards in models/onnx").isNotEmpty();
            return cards.stream();
        }
    }

    /**
     * A card that continues another is the last link of a chain (its card's accuracy is the chain's):
     * the models it continues run first, each handing on to the next, as in a cascade.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("committedCards")
    void javaStageMatchesTheCardWithinAThirdOfAPoint(Path cardFile) {
        ModelCard card = ModelCard.read(cardFile);
        List<ClassProbabilities> predictions;
        try (ModelChain chain = ModelChain.load(card, 2)) {
            predictions = chain.predict(test.images());
        }
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            correct += predictions.get(i).label() == test.labels()[i] ? 1 : 0;
        }
        double accuracy = (double) correct / test.size();
        assertThat(accuracy).as(card.name() + " test accuracy in Java").isCloseTo(card.testAccuracy(), within(0.003));
    }
}

package io.sieve.cascade.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.images.Cifar10;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** models/train.py trains and exports a model that the Java stage loads and runs. */
@Tag("integration")
class TrainingPipelineIT {
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void oneEpochOnTwoThousandImagesExportsAModelTheJavaStageRuns(@TempDir Path out) throws Exception {
        Path cifar = Repo.cifarOrSkip();
        Assumptions.assumeTrue(torchInstalled(), "skipped: " + PYTHON
                + " cannot import torch and onnx; install Debian's python3-torch python3-onnx to run this test");

        Process train = new ProcessBuilder(PYTHON, Repo.home().resolve("models/train.py").toString(), "sievenet_s",
                "--epochs", "1", "--limit", "2000", "--threads", "1", "--data", cifar.toString(), "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(out.resolve("train.log").toFile()).start();
        assertThat(train.waitFor(10, TimeUnit.MINUTES)).as("training finished in 10 minutes").isTrue();
        assertThat(train.exitValue()).as(Files.readString(out.resolve("train.log"))).isZero();
        assertThat(Files.readString(out.resolve("train.log"))).contains("epoch 1/1", "exported");

        try (OnnxClassifier stage = OnnxClassifier.load(out.resolve("sievenet_s.card.json"), 1)) {
            var test = Cifar10.test(cifar);
            List<ClassProbabilities> predictions = stage.predict(test.images());
            int correct = 0;
            for (int i = 0; i < test.size(); i++) {
                correct += predictions.get(i).label() == test.labels()[i] ? 1 : 0;
            }
            // Python's and Java's preprocessing and inference agree on what the freshly exported model does.
            assertThat((double) correct / test.size()).isCloseTo(stage.card().testAccuracy(), within(0.003));
        }
    }

    private static boolean torchInstalled() {
        try {
            return new ProcessBuilder(PYTHON, "-c", "import torch, onnx").start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}

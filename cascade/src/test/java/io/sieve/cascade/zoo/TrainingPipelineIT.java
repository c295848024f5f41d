package io.sieve.cascade.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.images.Cifar10;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** models/train.py trains, checkpoints, resumes and exports models that the Java stage loads and runs. */
@Tag("integration")
class TrainingPipelineIT {
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void oneEpochOnTwoThousandImagesExportsAModelTheJavaStageRuns(@TempDir Path out) throws Exception {
        Path cifar = cifarWithTorchOrSkip();
        String log = train(out, "sievenet_s", "--epochs", "1", "--limit", "2000", "--data", cifar.toString());
        assertThat(log).contains("epoch 1/1", "exported");
        assertJavaMatchesTheCard(out.resolve("sievenet_s.card.json"), cifar);
    }

    @Test
    void theModernRecipeResumesAnInterruptedRunAndExportsAModelTheJavaStageRuns(@TempDir Path out) throws Exception {
        Path cifar = cifarWithTorchOrSkip();
        String[] command = {"airnet", "--epochs", "2", "--limit", "2048", "--time-limit", "0", "--data", cifar.toString()};

        String interrupted = train(out, command);
        assertThat(interrupted).contains("epoch 1/2", "time limit of 0 min reached after epoch 1/2").doesNotContain("exported");
        assertThat(out.resolve("checkpoints/airnet.pt")).exists();
        assertThat(out.resolve("airnet.onnx")).doesNotExist();

        String resumed = train(out, command);
        assertThat(resumed).contains("resuming after epoch 1/2", "epoch 2/2", "exported").doesNotContain("epoch 1/2 loss");
        // The patch-whitening net exports operators the zoo's older models never used (Erf, batch norm after a pool).
        assertJavaMatchesTheCard(out.resolve("airnet.card.json"), cifar);
    }

    @Test
    void theModernRecipeTrainsANetworkWithoutAWhiteningLayer(@TempDir Path out) throws Exception {
        Path cifar = cifarWithTorchOrSkip();
        String log = train(out, "resnet20_modern", "--epochs", "1", "--limit", "2048", "--data", cifar.toString());
        assertThat(log).contains("epoch 1/1", "exported");
        assertThat(Files.readString(out.resolve("resnet20_modern.card.json")))
                .contains("not applicable to this network: whiten").doesNotContain("patch-whitening");
        assertJavaMatchesTheCard(out.resolve("resnet20_modern.card.json"), cifar);
    }

    @Test
    void aCheckpointOfAnotherConfigurationIsNotResumed(@TempDir Path out) throws Exception {
        Path cifar = cifarWithTorchOrSkip();
        train(out, "sievenet_s", "--epochs", "2", "--limit", "500", "--time-limit", "0", "--data", cifar.toString());
        Process other = command(out, "sievenet_s", "--epochs", "3", "--limit", "500", "--data", cifar.toString()).start();
        assertThat(other.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(other.exitValue()).isNotZero();
        assertThat(Files.readString(out.resolve("train.log"))).contains("was written by another configuration", "--fresh");
    }

    private static Path cifarWithTorchOrSkip() {
        Path cifar = Repo.cifarOrSkip();
        Assumptions.assumeTrue(torchInstalled(), "skipped: " + PYTHON
                + " cannot import torch and onnx; install Debian's python3-torch python3-onnx to run this test");
        return cifar;
    }

    private static ProcessBuilder command(Path out, String... arguments) {
        List<String> command = new ArrayList<>(List.of(PYTHON, Repo.home().resolve("models/train.py").toString()));
        command.addAll(List.of(arguments));
        command.addAll(List.of("--threads", "1", "--out", out.toString(), "--checkpoints", out.resolve("checkpoints").toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.resolve("train.log").toFile());
    }

    /** Runs train.py to its end and returns what it printed. */
    private static String train(Path out, String... arguments) throws Exception {
        Process train = command(out, arguments).start();
        assertThat(train.waitFor(10, TimeUnit.MINUTES)).as("training finished in 10 minutes").isTrue();
        String log = Files.readString(out.resolve("train.log"));
        assertThat(train.exitValue()).as(log).isZero();
        return log;
    }

    /** Python's and Java's preprocessing and inference agree on what the freshly exported model does. */
    private static void assertJavaMatchesTheCard(Path card, Path cifar) {
        try (OnnxClassifier stage = OnnxClassifier.load(card, 1)) {
            var test = Cifar10.test(cifar);
            List<ClassProbabilities> predictions = stage.predict(test.images());
            int correct = 0;
            for (int i = 0; i < test.size(); i++) {
                correct += predictions.get(i).label() == test.labels()[i] ? 1 : 0;
            }
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

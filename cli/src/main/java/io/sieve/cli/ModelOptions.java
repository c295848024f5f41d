package io.sieve.cli;

import io.sieve.images.Cifar10;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.OnnxClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Option;

/** Options shared by the commands that run models on CIFAR-10: where the data is, threads, batch size. */
final class ModelOptions {
    @Option(names = "--data", description = "Folder with the CIFAR-10 binary files (default: $SIEVE_CIFAR_DIR, ./.sieve/data/cifar-10-batches-bin, ../shared/data/cifar-10-batches-bin).")
    Path data;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads per model (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch", defaultValue = "64", description = "Images per model call (default: ${DEFAULT-VALUE}).")
    int batch;

    Path cifar() {
        return data != null ? Cifar10.locate(List.of(data)) : Cifar10.locate(Cifar10.defaultLocations(SieveHome.path(), System.getenv()));
    }

    /** Every model's predictions and timings on {@code data} (batches of --batch, --threads), a progress bar each. */
    List<ModelScores> score(List<Path> cards, LabelledImages data) {
        List<ModelScores> scores = new ArrayList<>();
        for (Path card : cards) {
            try (OnnxClassifier stage = OnnxClassifier.load(card, threads);
                 ProgressBar bar = ProgressBars.bar("scoring " + stage.name(), data.size(), "img")) {
                scores.add(ModelScores.measure(stage, data, batch, bar::stepBy));
            }
        }
        return scores;
    }

    static Path zoo() {
        return SieveHome.path().resolve("models/onnx");
    }

    /** A model given by name (a card in models/onnx) or by the path of its card. */
    static Path card(String nameOrPath) {
        Path asPath = Path.of(nameOrPath);
        if (nameOrPath.endsWith(".json") && Files.isRegularFile(asPath)) {
            return asPath.toAbsolutePath();
        }
        Path inZoo = zoo().resolve(nameOrPath + ".card.json");
        if (Files.isRegularFile(inZoo)) {
            return inZoo;
        }
        throw new IllegalArgumentException("unknown model '" + nameOrPath + "': not a card file and not in " + zoo()
                + " (known: " + String.join(", ", zooNames()) + ")");
    }

    static List<String> zooNames() {
        try (Stream<Path> files = Files.list(zoo())) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".card.json"))
                    .map(f -> f.substring(0, f.length() - ".card.json".length())).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}

package io.sieve.cli;

import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.images.ImageFolder;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.OnnxClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that run models on labelled data: where the data is (CIFAR-10
 * binaries or an image folder, split into a calibration and a test part), threads, batch size.
 */
final class ModelOptions {
    static final double DEFAULT_SPLIT = 0.5;

    @Option(names = "--data", description = {"Labelled data: a folder of CIFAR-10 binary files, or an image folder DIR/<class>/*.png|jpg",
        "(default: $SIEVE_CIFAR_DIR, ./.sieve/data/cifar-10-batches-bin, ../shared/data/cifar-10-batches-bin;",
        "evaluate and bench default to what the cascade was calibrated on)."})
    Path data;

    @Option(names = "--test-data", description = "A second image folder to test on; then all of --data is for calibration.")
    Path testData;

    @Option(names = "--split", description = "Share of an image folder's images (per class) for calibration; the rest is the test part (default: "
            + DEFAULT_SPLIT + ").")
    Double split;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads per model (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch", defaultValue = "64", description = "Images per model call (default: ${DEFAULT-VALUE}).")
    int batch;

    /**
     * Labelled frames in two disjoint parts, labelled in the models' classes: {@code calibration}
     * (thresholds are fitted on it) and {@code test} (results are reported on it), and what they
     * are, for the cascade file.
     */
    record LabelledData(LabelledImages calibration, LabelledImages test, Map<String, Object> provenance) {
    }

    /**
     * The data these options name, for {@code cards}; without {@code --data}, the data a cascade
     * recorded ({@code recorded}, may be null) or else CIFAR-10.
     */
    LabelledData labelled(ModelCards cards, Map<String, Object> recorded) {
        if (split != null && testData != null) {
            throw new IllegalArgumentException("give --split or --test-data, not both");
        }
        Path source = data;
        Path test = testData;
        double fraction = split != null ? split : DEFAULT_SPLIT;
        long splitSeed = seed;
        if (source == null && recorded != null && "image-folder".equals(recorded.get("kind"))) {
            source = Path.of((String) recorded.get("path"));
            if (recorded.get("test_path") instanceof String recordedTest && test == null) {
                test = Path.of(recordedTest);
            }
            if (recorded.get("split") instanceof Number f && split == null) {
                fraction = f.doubleValue();
            }
            if (recorded.get("seed") instanceof Number s) {
                splitSeed = s.longValue();
            }
            System.out.println("Data: " + source + ", as the cascade was calibrated (pass --data to use other data)");
        }
        if (source == null || !ImageFolder.looksLikeOne(source)) {
            if (test != null || split != null) {
                throw new IllegalArgumentException("--test-data and --split apply to image folders; CIFAR-10 has its fixed split");
            }
            return cifar(source, cards);
        }
        return imageFolder(source, test, fraction, splitSeed, cards, recorded);
    }

    private static LabelledData cifar(Path dir, ModelCards cards) {
        Path located = dir != null ? Cifar10.locate(List.of(dir)) : Cifar10.locate(Cifar10.defaultLocations(SieveHome.path(), System.getenv()));
        String whose = cards.describe();
        LabelledImages calibration = Cifar10.validation(located).inClassesOf(cards.classes(), whose);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("kind", "cifar-10");
        provenance.put("path", located.toAbsolutePath().normalize().toString());
        provenance.put("calibration_part", calibration.name());
        provenance.put("frames", calibration.size());
        provenance.put("sha256", calibration.sha256());
        return new LabelledData(calibration, Cifar10.test(located).inClassesOf(cards.classes(), whose), provenance);
    }

    private static LabelledData imageFolder(Path dir, Path testDir, double fraction, long splitSeed, ModelCards cards,
                                            Map<String, Object> recorded) {
        FrameSize size = cards.frameSize();
        String whose = cards.describe();
        LabelledImages all = ImageFolder.read(dir, size.width(), size.height()).inClassesOf(cards.classes(), whose);
        if (recorded != null && recorded.get("sha256") instanceof String hash && dir.toAbsolutePath().normalize().toString().equals(recorded.get("path"))
                && !hash.equals(all.sha256())) {
            System.err.println("Warning: " + dir + " has changed since the cascade was calibrated on it (content hash "
                    + all.sha256().substring(0, 12) + ", recorded " + hash.substring(0, Math.min(12, hash.length()))
                    + "): its test part may now hold frames the thresholds were fitted on.");
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("kind", "image-folder");
        provenance.put("path", dir.toAbsolutePath().normalize().toString());
        provenance.put("sha256", all.sha256());
        provenance.put("frame_size", size.toString());
        LabelledData result;
        if (testDir != null) {
            LabelledImages test = ImageFolder.read(testDir, size.width(), size.height()).inClassesOf(cards.classes(), whose);
            if (test.sha256().equals(all.sha256())) {
                throw new IllegalArgumentException("--test-data " + testDir + " holds the same images as --data " + dir
                        + ": results on the calibration frames say nothing about new frames");
            }
            provenance.put("test_path", testDir.toAbsolutePath().normalize().toString());
            provenance.put("test_sha256", test.sha256());
            result = new LabelledData(all, test, provenance);
        } else {
            LabelledImages.Split parts = all.split(fraction, splitSeed);
            provenance.put("split", fraction);
            provenance.put("seed", splitSeed);
            result = new LabelledData(parts.first(), parts.second(), provenance);
        }
        provenance.put("frames", result.calibration().size());
        provenance.put("test_frames", result.test().size());
        requireEveryClass(result.calibration(), "calibration part of " + dir);
        return result;
    }

    /** A class with no calibration frame would get thresholds fitted on nothing. */
    private static void requireEveryClass(LabelledImages part, String what) {
        boolean[] seen = new boolean[part.classes().size()];
        for (int label : part.labels()) {
            seen[label] = true;
        }
        List<String> present = new ArrayList<>();
        for (int c = 0; c < seen.length; c++) {
            if (seen[c]) {
                present.add(part.classes().get(c));
            }
        }
        if (present.size() < 2) {
            throw new DataException("the " + what + " holds frames of " + present.size() + " class(es) " + present
                    + ": calibrating a classifier needs labelled frames of at least two classes");
        }
    }

    /**
     * Every model's predictions and timings on {@code data} (batches of --batch, --threads), a
     * progress bar each; a model that continues the one before it is given that one's outputs.
     */
    List<ModelScores> score(List<Path> cards, LabelledImages data) {
        List<ModelCard> read = cards.stream().map(ModelCard::read).toList();
        ModelCard.requireContinuationsFollow(read);
        ModelScores.Chain chain = new ModelScores.Chain(data, batch);
        List<ModelScores> scores = new ArrayList<>();
        OnnxClassifier previous = null;
        try {
            for (int s = 0; s < read.size(); s++) {
                OnnxClassifier stage = OnnxClassifier.load(read.get(s), threads, OnnxClassifier.DEFAULT_MAX_BATCH);
                if (previous != null) {
                    previous.requireHandsOnTo(stage);
                    previous.close();
                }
                previous = stage;
                try (ProgressBar bar = ProgressBars.bar("scoring " + stage.name(), data.size(), "img")) {
                    scores.add(chain.measure(stage, ModelCard.handedOn(read, s), bar::stepBy));
                }
            }
        } finally {
            if (previous != null) {
                previous.close();
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

package io.sieve.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CIFAR-10 "binary version" files: records of one label byte and 3,072 pixel bytes (1,024
 * red, then green, then blue, each 32x32 row-major).
 *
 * <p>Sieve's fixed validation split, used for calibration only, is records 5000-9999 of
 * {@code data_batch_5.bin}; models are trained on the other 45,000 training records, and the test
 * batch is used only to report results. {@code models/train.py} uses the same split.
 */
public final class Cifar10 {
    public static final int RECORD_BYTES = 3073;
    public static final int SIDE = 32;
    public static final List<String> CLASSES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
    public static final String VALIDATION_FILE = "data_batch_5.bin";
    public static final int VALIDATION_FIRST_RECORD = 5000;
    public static final String TEST_FILE = "test_batch.bin";

    private Cifar10() {
    }

    /** Where to look for the files when the user names no folder, in order. */
    public static List<Path> defaultLocations(Path sieveHome, Map<String, String> env) {
        List<Path> places = new ArrayList<>();
        Optional.ofNullable(env.get("SIEVE_CIFAR_DIR")).map(Path::of).ifPresent(places::add);
        places.add(sieveHome.resolve(".sieve/data/cifar-10-batches-bin"));
        places.add(sieveHome.resolve("../shared/data/cifar-10-batches-bin").normalize());
        return places;
    }

    /** The first location holding the test batch and {@code data_batch_5.bin}, or an error listing where it looked. */
    public static Path locate(List<Path> candidates) {
        return candidates.stream()
                .filter(d -> Files.isRegularFile(d.resolve(TEST_FILE)) && Files.isRegularFile(d.resolve(VALIDATION_FILE)))
                .findFirst()
                .orElseThrow(() -> new DataException("CIFAR-10 binary files (" + TEST_FILE + ", " + VALIDATION_FILE
                        + ") not found. Looked in: " + candidates + ". Download the official 'CIFAR-10 binary version' "
                        + "(cifar-10-binary.tar.gz), unpack it and pass its cifar-10-batches-bin folder with --data "
                        + "or set SIEVE_CIFAR_DIR."));
    }

    public static LabelledImages test(Path dir) {
        return read(dir.resolve(TEST_FILE), 0, Integer.MAX_VALUE);
    }

    public static LabelledImages validation(Path dir) {
        return read(dir.resolve(VALIDATION_FILE), VALIDATION_FIRST_RECORD, 5000);
    }

    /** Reads {@code count} records from {@code first}; a truncated or corrupt file is an error naming it. */
    public static LabelledImages read(Path file, int first, int count) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException("cannot read CIFAR-10 file " + file + ": " + e.getMessage(), e);
        }
        if (raw.length == 0 || raw.length % RECORD_BYTES != 0) {
            throw new DataException("CIFAR-10 file " + file + " holds " + raw.length + " bytes, not a whole number of "
                    + RECORD_BYTES + "-byte records: truncated or not a CIFAR-10 binary file");
        }
        int records = raw.length / RECORD_BYTES;
        if (first >= records) {
            throw new DataException("CIFAR-10 file " + file + " has " + records + " records; record " + first + " was asked for");
        }
        int n = Math.min(count, records - first);
        List<Image> images = new ArrayList<>(n);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int at = (first + i) * RECORD_BYTES;
            int label = raw[at];
            if (label < 0 || label >= CLASSES.size()) {
                throw new DataException("CIFAR-10 file " + file + ": record " + (first + i) + " has label " + label
                        + ", outside 0-9: not a CIFAR-10 file");
            }
            labels[i] = label;
            images.add(new Image(SIDE, SIDE, 3, Image.Layout.CHW, Arrays.copyOfRange(raw, at + 1, at + RECORD_BYTES)));
        }
        return new LabelledImages(file.getFileName() + (first > 0 ? "[" + first + ":" + (first + n) + "]" : ""), CLASSES, images, labels,
                java.util.HexFormat.of().formatHex(ImageFolder.sha256().digest(raw)));
    }
}

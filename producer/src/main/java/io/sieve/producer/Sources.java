package io.sieve.producer;

import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.images.LabelledImages;
import io.sieve.images.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Builders for the file-based sources; every one reads and checks its whole input before returning. */
public final class Sources {
    private Sources() {
    }

    /** A CIFAR-10 binary file, with its labels. */
    public static ListSource cifar(Path file, String cameraId) {
        if (Files.isDirectory(file)) {
            throw new SourceException(file + " is a folder; give one CIFAR-10 binary file in it, e.g. " + file.resolve("test_batch.bin"));
        }
        if (!Files.isRegularFile(file)) {
            throw new SourceException("CIFAR-10 file " + file + " does not exist");
        }
        try {
            LabelledImages data = Cifar10.read(file, 0, Integer.MAX_VALUE);
            return new ListSource("CIFAR-10 " + file, cameraId, data.images(), Arrays.stream(data.labels()).boxed().toList());
        } catch (DataException e) {
            throw new SourceException(e.getMessage(), e);
        }
    }

    /**
     * Every PNG and JPEG under {@code dir} (sorted by path), resized for the model. A file in a
     * folder named like a class ({@code cat/0001.jpg}) carries that class as its label.
     */
    public static ListSource imageFolder(Path dir, String cameraId, int width, int height, List<String> classes) {
        if (!Files.isDirectory(dir)) {
            throw new SourceException("image folder " + dir + " does not exist or is not a folder");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(Sources::isImage).sorted().toList();
        } catch (IOException e) {
            throw new SourceException("cannot list image folder " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new SourceException("image folder " + dir + " holds no .png, .jpg or .jpeg files");
        }
        List<Image> images = new ArrayList<>(files.size());
        List<Integer> labels = new ArrayList<>(files.size());
        for (Path file : files) {
            BufferedImage picture;
            try {
                picture = ImageIO.read(file.toFile());
            } catch (IOException | RuntimeException e) {
                throw new SourceException("cannot read image " + file + ": " + e.getMessage() + "; nothing was sent", e);
            }
            if (picture == null) {
                throw new SourceException("cannot decode image " + file + " (not a PNG or JPEG image); nothing was sent");
            }
            images.add(Resizer.toModelInput(picture, width, height));
            String folder = file.getParent().getFileName().toString().toLowerCase(Locale.ROOT);
            int label = classes.indexOf(folder);
            labels.add(label >= 0 ? label : null);
        }
        return new ListSource("images in " + dir, cameraId, images, labels);
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
    }
}

package io.sieve.producer;

import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.images.LabelledImages;
import io.sieve.images.Image;
import io.sieve.images.ImageFolder;
import io.sieve.images.Resize;
import io.sieve.images.ResizeMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Builders for the file-based sources; every one reads and checks its whole input before returning. */
public final class Sources {
    private Sources() {
    }

    /** A CIFAR-10 binary file, with its labels, its 32x32 images brought to {@code width} x {@code height} (centred crop, area average). */
    public static ListSource cifar(Path file, String cameraId, int width, int height) {
        if (Files.isDirectory(file)) {
            throw new SourceException(file + " is a folder; give one CIFAR-10 binary file in it, e.g. " + file.resolve("test_batch.bin"));
        }
        if (!Files.isRegularFile(file)) {
            throw new SourceException("CIFAR-10 file " + file + " does not exist");
        }
        try {
            LabelledImages data = Cifar10.read(file, 0, Integer.MAX_VALUE);
            List<Image> images = data.images().stream().map(i -> Resize.to(i, width, height, ResizeMethod.CENTER_CROP)).toList();
            return new ListSource("CIFAR-10 " + file, cameraId, images, Arrays.stream(data.labels()).boxed().toList());
        } catch (DataException e) {
            throw new SourceException(e.getMessage(), e);
        }
    }

    /**
     * Every PNG and JPEG under {@code dir} (sorted by path), brought to {@code width} x {@code height}
     * by a centred crop and an area average. A file in a folder named like one of {@code classes}
     * ({@code cat/0001.jpg}) carries that class as its label.
     */
    public static ListSource imageFolder(Path dir, String cameraId, int width, int height, List<String> classes) {
        if (!Files.isDirectory(dir)) {
            throw new SourceException("image folder " + dir + " does not exist or is not a folder");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(ImageFolder::isImageFile).sorted().toList();
        } catch (IOException e) {
            throw new SourceException("cannot list image folder " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new SourceException("image folder " + dir + " holds no .png, .jpg or .jpeg files");
        }
        List<Image> images = new ArrayList<>(files.size());
        List<Integer> labels = new ArrayList<>(files.size());
        for (Path file : files) {
            try {
                images.add(Resize.to(ImageFolder.decode(file, Files.readAllBytes(file)), width, height, ResizeMethod.CENTER_CROP));
            } catch (IOException | DataException e) {
                throw new SourceException((e instanceof IOException ? "cannot read image " + file + ": " : "") + e.getMessage()
                        + "; nothing was sent", e);
            }
            String folder = file.getParent().getFileName().toString();
            int label = classes.indexOf(folder);
            labels.add(label >= 0 ? label : null);
        }
        return new ListSource("images in " + dir, cameraId, images, labels);
    }
}

package io.sieve.images;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Labelled images in the class-per-subfolder layout (torchvision's ImageFolder):
 * {@code DIR/<class>/**.png|jpg|jpeg}. Class names are the subfolder names, sorted. Each image is
 * brought to the asked size the way the producer brings a camera picture to its frame size (a
 * centred crop and an area average), so calibration sees what live frames show the models.
 */
public final class ImageFolder {
    private ImageFolder() {
    }

    /** Whether {@code dir} looks like an image folder rather than CIFAR-10 binaries: it has subfolders. */
    public static boolean looksLikeOne(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.anyMatch(Files::isDirectory);
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean isImageFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
    }

    /**
     * Reads every image under {@code dir}, at {@code width} x {@code height}.
     *
     * @throws DataException naming the folder or file when the layout is wrong, a class folder holds
     *                       no image, or an image cannot be read
     */
    public static LabelledImages read(Path dir, int width, int height) {
        if (!Files.isDirectory(dir)) {
            throw new DataException("image folder " + dir + " does not exist or is not a folder");
        }
        List<Path> classDirs;
        List<Path> loose;
        try (Stream<Path> entries = Files.list(dir)) {
            List<Path> all = entries.sorted().toList();
            classDirs = all.stream().filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith(".")).toList();
            loose = all.stream().filter(Files::isRegularFile).filter(ImageFolder::isImageFile).toList();
        } catch (IOException e) {
            throw new DataException("cannot list image folder " + dir + ": " + e.getMessage(), e);
        }
        if (classDirs.isEmpty()) {
            throw new DataException("image folder " + dir + " has no class subfolders: labelled images go in DIR/<class>/*.jpg|png");
        }
        if (!loose.isEmpty()) {
            throw new DataException("image folder " + dir + " holds " + loose.size() + " image(s) outside any class subfolder, e.g. "
                    + loose.get(0).getFileName() + ": move them into DIR/<class>/");
        }
        MessageDigest digest = sha256();
        List<String> classes = new ArrayList<>();
        List<Image> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path classDir : classDirs) {
            String className = classDir.getFileName().toString();
            List<Path> files;
            try (Stream<Path> walk = Files.walk(classDir)) {
                files = walk.filter(Files::isRegularFile).filter(ImageFolder::isImageFile).sorted().toList();
            } catch (IOException e) {
                throw new DataException("cannot list class folder " + classDir + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw new DataException("class folder " + classDir + " holds no .png, .jpg or .jpeg image: every class needs images");
            }
            int label = classes.size();
            classes.add(className);
            for (Path file : files) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(file);
                } catch (IOException e) {
                    throw new DataException("cannot read image " + file + ": " + e.getMessage(), e);
                }
                digest.update(dir.relativize(file).toString().replace('\\', '/').getBytes(java.nio.charset.StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(bytes);
                images.add(Resize.to(decode(file, bytes), width, height, ResizeMethod.CENTER_CROP));
                labels.add(label);
            }
        }
        return new LabelledImages(dir.toString(), List.copyOf(classes), images,
                labels.stream().mapToInt(Integer::intValue).toArray(), HexFormat.of().formatHex(digest.digest()));
    }

    /** One picture file as an RGB image at its own size. */
    public static Image decode(Path file, byte[] bytes) {
        BufferedImage picture;
        try {
            picture = ImageCodec.readPicture(bytes);
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
        if (picture == null) {
            throw new DataException("cannot decode image " + file + ": not a PNG or JPEG image");
        }
        return ImageCodec.fromPicture(picture);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}

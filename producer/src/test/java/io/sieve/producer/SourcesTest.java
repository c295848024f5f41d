package io.sieve.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.images.Cifar10;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcesTest {

    @Test
    void aCifarFileGivesEveryRecordWithItsLabel(@TempDir Path dir) throws Exception {
        Path file = cifarFile(dir, 5);
        List<SourceFrame> frames = drain(Sources.cifar(file, "cam", 32, 32));
        assertThat(frames).hasSize(5);
        assertThat(frames).extracting(SourceFrame::label).containsExactly(0, 1, 2, 3, 4);
        assertThat(frames).extracting(SourceFrame::sequence).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(frames.get(0).image().width()).isEqualTo(32);
    }

    @Test
    void aQueryReplaysEveryFrameOnceInASeededRandomOrder(@TempDir Path dir) throws Exception {
        Path file = cifarFile(dir, 50);
        ListSource a = Sources.cifar(file, "cam", 32, 32).shuffled(7);
        List<Long> order = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        for (SourceFrame f = a.next(); f != null; f = a.next()) {
            order.add(f.sequence());
            positions.add(a.position());
        }
        assertThat(new HashSet<>(order)).hasSize(50);
        assertThat(order).isNotEqualTo(order.stream().sorted().toList());
        assertThat(positions).isSorted().startsWith(0L).endsWith(49L);
        assertThat(drain(Sources.cifar(file, "cam", 32, 32).shuffled(7))).extracting(SourceFrame::sequence).containsExactlyElementsOf(order);
    }

    @Test
    void aTruncatedCifarFileIsRejectedBeforeAnythingIsSent(@TempDir Path dir) throws Exception {
        Path file = cifarFile(dir, 3);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertThatThrownBy(() -> Sources.cifar(file, "cam", 32, 32)).isInstanceOf(SourceException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Sources.cifar(dir.resolve("missing.bin"), "cam", 32, 32)).hasMessageContaining("does not exist");
    }

    @Test
    void aFolderGivenForACifarFileIsNamedAsAFolderWithTheFileToGive(@TempDir Path dir) {
        assertThatThrownBy(() -> Sources.cifar(dir, "cam", 32, 32))
                .isInstanceOf(SourceException.class)
                .hasMessageContaining(dir + " is a folder")
                .hasMessageContaining("test_batch.bin");
    }

    @Test
    void anImageFolderIsResizedAndLabelledByClassFolders(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("cat"));
        Files.createDirectories(dir.resolve("misc"));
        ImageIO.write(new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("cat/a.png").toFile());
        ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), "jpg", dir.resolve("misc/b.jpg").toFile());
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        List<SourceFrame> frames = drain(Sources.imageFolder(dir, "cam", 32, 32, Cifar10.CLASSES));
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0).label()).isEqualTo(Cifar10.CLASSES.indexOf("cat"));
        assertThat(frames.get(1).label()).isNull();
        assertThat(frames).allSatisfy(f -> assertThat(f.image().pixels()).hasSize(32 * 32 * 3));
    }

    @Test
    void anUnreadableImageFailsTheWholeFolderNamingTheFile(@TempDir Path dir) throws Exception {
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("good.png").toFile());
        Files.write(dir.resolve("broken.jpg"), new byte[] {1, 2, 3, 4});
        assertThatThrownBy(() -> Sources.imageFolder(dir, "cam", 32, 32, Cifar10.CLASSES))
                .isInstanceOf(SourceException.class).hasMessageContaining("broken.jpg").hasMessageContaining("nothing was sent");
        assertThatThrownBy(() -> Sources.imageFolder(dir.resolve("nope"), "cam", 32, 32, Cifar10.CLASSES))
                .hasMessageContaining("does not exist");
    }

    @Test
    void aTenFrameVideoMadeByFfmpegGivesTenFrames(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(ffmpegInstalled(), "skipped: ffmpeg is not installed (apt-get install ffmpeg)");
        Path video = dir.resolve("ten.mp4");
        Process make = new ProcessBuilder("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                "testsrc=size=160x120:rate=10", "-frames:v", "10", "-pix_fmt", "yuv420p", video.toString())
                .redirectErrorStream(true).start();
        assertThat(make.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(make.exitValue()).isZero();
        try (VideoSource source = new VideoSource(video.toString(), "cam", 32, 32, null)) {
            List<SourceFrame> frames = drain(source);
            assertThat(frames).hasSize(10);
            Set<Integer> distinct = new HashSet<>();
            frames.forEach(f -> distinct.add(java.util.Arrays.hashCode(f.image().pixels())));
            assertThat(distinct).hasSizeGreaterThan(1);
        }
    }

    @Test
    void aVideoFfmpegCannotDecodeIsAClearError(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(ffmpegInstalled(), "skipped: ffmpeg is not installed (apt-get install ffmpeg)");
        Path garbage = dir.resolve("garbage.mp4");
        Files.write(garbage, new byte[4096]);
        try (VideoSource source = new VideoSource(garbage.toString(), "cam", 32, 32, null)) {
            assertThatThrownBy(source::next).isInstanceOf(SourceException.class)
                    .hasMessageContaining("ffmpeg cannot decode").hasMessageContaining("no frame was read");
        }
        assertThatThrownBy(() -> new VideoSource(dir.resolve("missing.mp4").toString(), "cam", 32, 32, null))
                .hasMessageContaining("does not exist");
    }

    @Test
    void theSyntheticCameraIsDeterministicAndMoves() {
        List<SourceFrame> a = drain(new SyntheticSource("cam-x", 32, 32, 5));
        List<SourceFrame> b = drain(new SyntheticSource("cam-x", 32, 32, 5));
        assertThat(a).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(a.get(i).image().pixels()).isEqualTo(b.get(i).image().pixels());
        }
        assertThat(a.get(0).image().pixels()).isNotEqualTo(a.get(1).image().pixels());
    }

    static List<SourceFrame> drain(FrameSource source) {
        List<SourceFrame> frames = new ArrayList<>();
        for (SourceFrame f = source.next(); f != null; f = source.next()) {
            frames.add(f);
        }
        return frames;
    }

    static Path cifarFile(Path dir, int records) throws Exception {
        byte[] bytes = new byte[records * Cifar10.RECORD_BYTES];
        for (int r = 0; r < records; r++) {
            bytes[r * Cifar10.RECORD_BYTES] = (byte) (r % 10);
        }
        Path file = dir.resolve("batch.bin");
        Files.write(file, bytes);
        return file;
    }

    private static boolean ffmpegInstalled() {
        try {
            return new ProcessBuilder("ffmpeg", "-version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}

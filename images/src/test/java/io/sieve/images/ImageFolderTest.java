package io.sieve.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path dir;

    private void write(String relative, Image image, PixelEncoding encoding) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, ImageCodec.encode(image, encoding, 0.9f));
    }

    @Test
    void classesAreTheSortedSubfoldersAndImagesComeAtTheAskedSize() throws IOException {
        for (int i = 0; i < 3; i++) {
            write("zebra/" + i + ".png", ImageCodecTest.smooth(40, 30), PixelEncoding.PNG);
            write("apple/sub/" + i + ".jpg", ImageCodecTest.smooth(64, 64), PixelEncoding.JPEG);
        }
        Files.writeString(dir.resolve("apple/notes.txt"), "not an image");
        LabelledImages data = ImageFolder.read(dir, 24, 24);
        assertThat(data.classes()).containsExactly("apple", "zebra");
        assertThat(data.size()).isEqualTo(6);
        assertThat(data.labels()).containsExactly(0, 0, 0, 1, 1, 1);
        assertThat(data.images()).allSatisfy(i -> assertThat(i.width() * 1000 + i.height()).isEqualTo(24024));
        String hash = data.sha256();
        assertThat(ImageFolder.read(dir, 24, 24).sha256()).isEqualTo(hash);
        write("zebra/3.png", ImageCodecTest.smooth(40, 30), PixelEncoding.PNG);
        assertThat(ImageFolder.read(dir, 24, 24).sha256()).isNotEqualTo(hash);
    }

    @Test
    void aBadLayoutAnEmptyClassOrAnUnreadableImageIsNamed() throws IOException {
        assertThatThrownBy(() -> ImageFolder.read(dir.resolve("none"), 8, 8)).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ImageFolder.read(dir, 8, 8)).hasMessageContaining("no class subfolders");
        write("cat/1.png", ImageCodecTest.smooth(8, 8), PixelEncoding.PNG);
        Files.createDirectories(dir.resolve("dog"));
        assertThatThrownBy(() -> ImageFolder.read(dir, 8, 8)).isInstanceOf(DataException.class)
                .hasMessageContaining("class folder " + dir.resolve("dog") + " holds no");
        Files.write(dir.resolve("dog/broken.jpg"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> ImageFolder.read(dir, 8, 8)).hasMessageContaining("cannot decode image " + dir.resolve("dog/broken.jpg"));
        Files.delete(dir.resolve("dog/broken.jpg"));
        write("loose.png", ImageCodecTest.smooth(8, 8), PixelEncoding.PNG);
        assertThatThrownBy(() -> ImageFolder.read(dir, 8, 8)).hasMessageContaining("outside any class subfolder");
    }

    @Test
    void aSeededSplitIsStratifiedDisjointAndRepeatable() {
        Image image = ImageCodecTest.smooth(2, 2);
        int[] labels = new int[100];
        for (int i = 0; i < 100; i++) {
            labels[i] = i < 80 ? 0 : 1;
        }
        LabelledImages data = new LabelledImages("d", List.of("a", "b"), java.util.Collections.nCopies(100, image), labels, "h");
        LabelledImages.Split split = data.split(0.25, 7);
        assertThat(split.first().size()).isEqualTo(25);
        assertThat(Arrays.stream(split.first().labels()).filter(l -> l == 1).count()).isEqualTo(5);
        assertThat(split.second().size()).isEqualTo(75);
        assertThat(data.split(0.25, 7).first().labels()).isEqualTo(split.first().labels());
        assertThatThrownBy(() -> data.split(1.0, 7)).hasMessageContaining("between 0 and 1");
    }

    @Test
    void dataIsRelabelledInTheModelsClassOrderAndUnknownClassesAreNamed() {
        Image image = ImageCodecTest.smooth(2, 2);
        LabelledImages data = new LabelledImages("folder", List.of("cat", "dog"), List.of(image, image), new int[] {0, 1}, "h");
        assertThat(data.inClassesOf(List.of("dog", "bird", "cat"), "m").labels()).containsExactly(2, 0);
        assertThatThrownBy(() -> data.inClassesOf(List.of("cat", "bird"), "model m")).isInstanceOf(DataException.class)
                .hasMessageContaining("[dog] are not classes of model m");
    }
}

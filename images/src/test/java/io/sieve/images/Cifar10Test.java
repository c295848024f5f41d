package io.sieve.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {

    @Test
    void readsRecordsAsPlanarImagesWithLabels(@TempDir Path dir) throws Exception {
        Path file = writeBatch(dir.resolve("test_batch.bin"), 3);
        LabelledImages images = Cifar10.read(file, 0, Integer.MAX_VALUE);
        assertThat(images.size()).isEqualTo(3);
        assertThat(images.labels()).containsExactly(0, 1, 2);
        Image second = images.images().get(1);
        assertThat(second.layout()).isEqualTo(Image.Layout.CHW);
        assertThat(second.pixels()[0]).isEqualTo((byte) 1);
        assertThat(second.pixels()[3071]).isEqualTo((byte) (3071 + 1));
        assertThat(Cifar10.read(file, 1, 5).labels()).containsExactly(1, 2);
    }

    @Test
    void aTruncatedFileIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path file = writeBatch(dir.resolve("data_batch_1.bin"), 2);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> Cifar10.read(file, 0, 10)).isInstanceOf(DataException.class)
                .hasMessageContaining("data_batch_1.bin").hasMessageContaining("truncated");
    }

    @Test
    void aLabelOutsideTheTenClassesIsAnError(@TempDir Path dir) throws Exception {
        Path file = writeBatch(dir.resolve("x.bin"), 1);
        byte[] bytes = Files.readAllBytes(file);
        bytes[0] = 42;
        Files.write(file, bytes);
        assertThatThrownBy(() -> Cifar10.read(file, 0, 1)).hasMessageContaining("label 42");
    }

    @Test
    void missingDataSaysWhereItLookedAndHowToGetIt(@TempDir Path dir) {
        assertThatThrownBy(() -> Cifar10.locate(List.of(dir.resolve("a"), dir.resolve("b"))))
                .isInstanceOf(DataException.class)
                .hasMessageContaining(dir.resolve("a").toString())
                .hasMessageContaining(dir.resolve("b").toString())
                .hasMessageContaining("SIEVE_CIFAR_DIR");
    }

    @Test
    void theEnvironmentVariableIsLookedAtFirst(@TempDir Path dir) {
        assertThat(Cifar10.defaultLocations(dir, Map.of("SIEVE_CIFAR_DIR", "/data/cifar")).get(0)).isEqualTo(Path.of("/data/cifar"));
    }

    static Path writeBatch(Path file, int records) throws Exception {
        byte[] bytes = new byte[records * Cifar10.RECORD_BYTES];
        for (int r = 0; r < records; r++) {
            bytes[r * Cifar10.RECORD_BYTES] = (byte) (r % 10);
            for (int i = 0; i < 3072; i++) {
                bytes[r * Cifar10.RECORD_BYTES + 1 + i] = (byte) (i + r);
            }
        }
        Files.write(file, bytes);
        return file;
    }
}

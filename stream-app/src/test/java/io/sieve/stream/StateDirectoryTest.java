package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {

    @Test
    void stateOfTheSameClusterIsKeptAndStateOfAnotherClusterOrOfNoneKnownIsCleared(@TempDir Path dir) throws Exception {
        Path store = Files.createDirectories(dir.resolve("app/0_0/rocksdb")).resolve("data");
        Files.writeString(store, "offsets");

        StateDirectory.claim(dir, "app", "cluster-a");
        assertThat(store).as("untagged state from before: cleared").doesNotExist();

        Files.createDirectories(store.getParent());
        Files.writeString(store, "offsets");
        StateDirectory.claim(dir, "app", "cluster-a");
        assertThat(store).as("same cluster: kept").exists();

        StateDirectory.claim(dir, "app", "cluster-b");
        assertThat(store).as("another cluster: cleared").doesNotExist();
        assertThat(Files.readString(dir.resolve("app.cluster-id")).trim()).isEqualTo("cluster-b");
    }

    @Test
    void aFirstStartCreatesTheTag(@TempDir Path dir) {
        StateDirectory.claim(dir.resolve("fresh"), "app", "cluster-a");
        assertThat(dir.resolve("fresh/app.cluster-id")).exists();
    }
}

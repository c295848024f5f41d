package io.sieve.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.platform.testing.PlatformExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPlatformTest {

    @Test
    void aTakenPortIsAnErrorNamingThePortAndTheOption(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            PlatformConfig fresh = PlatformExtension.freshConfig();
            PlatformConfig config = new PlatformConfig(dir, PlatformConfig.LOOPBACK, taken.getLocalPort(),
                    fresh.controllerPort(), fresh.registryPort(), existingFile(dir));
            assertThatThrownBy(() -> new EmbeddedPlatform(config).start(false))
                    .isInstanceOf(PlatformException.class)
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("--kafka-port");
        }
    }

    @Test
    void aMissingRegistryBuildIsAnErrorSayingHowToBuildIt(@TempDir Path dir) {
        PlatformConfig fresh = PlatformExtension.freshConfig();
        PlatformConfig config = new PlatformConfig(dir, PlatformConfig.LOOPBACK, fresh.kafkaPort(),
                fresh.controllerPort(), fresh.registryPort(), dir.resolve("missing-runner.jar"));
        assertThatThrownBy(() -> new EmbeddedPlatform(config).start(false))
                .hasMessageContaining("missing-runner.jar")
                .hasMessageContaining("mvnw");
    }

    @Test
    void statusOfAStoppedPlatformSaysWhatIsDown(@TempDir Path dir) {
        PlatformConfig config = PlatformExtension.freshConfig();
        var status = new EmbeddedPlatform(new PlatformConfig(dir, config.host(), config.kafkaPort(),
                config.controllerPort(), config.registryPort(), config.registryRunner())).status();
        assertThat(status).allSatisfy(s -> {
            assertThat(s.pid()).isNull();
            assertThat(s.describe()).contains("down");
        });
    }

    @Test
    void portsMustDiffer(@TempDir Path dir) {
        assertThatThrownBy(() -> new PlatformConfig(dir, "127.0.0.1", 9092, 9092, 8081, dir))
                .hasMessageContaining("must differ");
    }

    private static Path existingFile(Path dir) throws Exception {
        return java.nio.file.Files.createFile(dir.resolve("runner.jar"));
    }
}

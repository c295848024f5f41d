package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.client.ClusterConfig;
import io.sieve.serde.SchemaRegistryException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SieveStreamAppTest {

    @Test
    void aRegistryThatIsDownAtStartIsOneClearErrorNamingItsUrlBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort + "/apis/ccompat/v7";
        // The broker address is never contacted: the registry check comes first.
        ClusterConfig cluster = new ClusterConfig("127.0.0.1:1", url, Map.of(), Map.of("sieve.state.dir", dir.toString()));
        assertThatThrownBy(() -> SieveStreamApp.start(dir.resolve("absent.cascade.json"), cluster,
                StreamAppConfig.from(cluster, dir), Duration.ofSeconds(5)))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining(url)
                .hasMessageContaining("unreachable");
    }
}

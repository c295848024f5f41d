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
        Path cascade = dir.resolve("two.cascade.json");
        new io.sieve.cascade.definition.CascadeDefinition("two", java.util.List.of(
                new io.sieve.cascade.definition.CascadeDefinition.StageDefinition("a.card.json",
                        io.sieve.cascade.model.ConfidenceMeasure.MAX_PROBABILITY, 0.5, null, null, null, null, null),
                new io.sieve.cascade.definition.CascadeDefinition.StageDefinition("b.card.json",
                        io.sieve.cascade.model.ConfidenceMeasure.MAX_PROBABILITY, null, null, null, null, null, null)), null, null).write(cascade);
        assertThatThrownBy(() -> SieveStreamApp.start(cascade, cluster,
                StreamAppConfig.from(cluster, dir), Duration.ofSeconds(5)))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining(url)
                .hasMessageContaining("unreachable");
    }
}

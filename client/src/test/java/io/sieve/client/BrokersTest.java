package io.sieve.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BrokersTest {

    @Test
    void noBrokerAtTheAddressIsSaidWithinTheTimeoutNamingTheAddress() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        ClusterConfig cluster = ClusterConfig.of("127.0.0.1:" + closed, ClusterConfig.DEFAULT_REGISTRY_URL);
        assertThatThrownBy(() -> Brokers.requireReachable(cluster, Duration.ofSeconds(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no Kafka broker answers at 127.0.0.1:" + closed + " within 2 s")
                .hasMessageContaining("./sieve platform start");
    }
}

package io.sieve.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterConfigTest {

    @Test
    void defaultsAreTheEmbeddedPlatformOnLoopback() {
        ClusterConfig config = ClusterConfig.load(null, Map.of());
        assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.registryUrl()).isEqualTo("http://127.0.0.1:8081/apis/ccompat/v7");
        assertThat(config.clientProperties()).isEmpty();
    }

    @Test
    void fileThenEnvironmentOverrideAndSecurityPropertiesPassThroughUntouched(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cluster.properties");
        Files.writeString(file, """
                bootstrap.servers=broker-1:9093,broker-2:9093
                schema.registry.url=https://registry:8081
                security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";
                ssl.truststore.location=/etc/kafka/truststore.jks
                sieve.stages=0
                """);
        ClusterConfig config = ClusterConfig.load(file, Map.of(
                "SIEVE_REGISTRY_URL", "https://other-registry:8081",
                "SIEVE_KAFKA_SSL_TRUSTSTORE_PASSWORD", "secret",
                "SIEVE_METRICS_PORT", "9500",
                "UNRELATED", "x"));
        assertThat(config.bootstrapServers()).isEqualTo("broker-1:9093,broker-2:9093");
        assertThat(config.registryUrl()).isEqualTo("https://other-registry:8081");
        assertThat(config.kafkaProperties())
                .containsEntry("bootstrap.servers", "broker-1:9093,broker-2:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";")
                .containsEntry("ssl.truststore.password", "secret")
                .doesNotContainKey("schema.registry.url")
                .hasSize(6);
        assertThat(config.setting("stages", "all")).isEqualTo("0");
        assertThat(config.setting("metrics.port", "9400")).isEqualTo("9500");
        assertThat(config.setting("missing", "fallback")).isEqualTo("fallback");
    }

    @Test
    void aMissingFileOrABadRegistryUrlIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> ClusterConfig.load(dir.resolve("nope.properties"), Map.of()))
                .hasMessageContaining("nope.properties").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ClusterConfig.load(null, Map.of("SIEVE_REGISTRY_URL", "registry:8081")))
                .hasMessageContaining("http(s) URL");
    }
}

package io.sieve.platform;

import io.sieve.client.ClusterConfig;
import java.nio.file.Path;

/**
 * Where the embedded platform listens and keeps its data. Everything binds to {@code host}, which is
 * the loopback address unless the user explicitly asks for another.
 */
public record PlatformConfig(Path dataDir, String host, int kafkaPort, int controllerPort, int registryPort, Path registryRunner) {
    public static final String LOOPBACK = "127.0.0.1";
    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final int DEFAULT_CONTROLLER_PORT = 9093;
    public static final int DEFAULT_REGISTRY_PORT = 8081;
    public static final String REGISTRY_API_PATH = "/apis/ccompat/v7";

    public PlatformConfig {
        for (int port : new int[] {kafkaPort, controllerPort, registryPort}) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1-65535");
            }
        }
        if (kafkaPort == controllerPort || kafkaPort == registryPort || controllerPort == registryPort) {
            throw new IllegalArgumentException("the Kafka, controller and registry ports must differ: "
                    + kafkaPort + ", " + controllerPort + ", " + registryPort);
        }
    }

    public static PlatformConfig defaults(Path sieveHome) {
        return new PlatformConfig(sieveHome.resolve(".sieve"), LOOPBACK, DEFAULT_KAFKA_PORT, DEFAULT_CONTROLLER_PORT,
                DEFAULT_REGISTRY_PORT, defaultRegistryRunner(sieveHome));
    }

    public static Path defaultRegistryRunner(Path sieveHome) {
        return sieveHome.resolve("registry/target/sieve-registry-runner.jar");
    }

    public boolean isLoopback() {
        return isLoopback(host);
    }

    public static boolean isLoopback(String host) {
        return LOOPBACK.equals(host) || "localhost".equals(host) || "::1".equals(host);
    }

    public String bootstrapServers() {
        return host + ":" + kafkaPort;
    }

    public String registryUrl() {
        return "http://" + host + ":" + registryPort + REGISTRY_API_PATH;
    }

    /** The client configuration of this platform's broker and registry. */
    public ClusterConfig cluster() {
        return ClusterConfig.of(bootstrapServers(), registryUrl());
    }

    public Path logDir() {
        return dataDir.resolve("logs");
    }

    /** The Kafka Streams state of apps run against this platform with the default {@code sieve.state.dir}. */
    public Path streamsStateDir() {
        return dataDir.resolve("streams");
    }

    public Path runDir() {
        return dataDir.resolve("run");
    }

    public PlatformConfig withPorts(int kafka, int controller, int registry) {
        return new PlatformConfig(dataDir, host, kafka, controller, registry, registryRunner);
    }
}

package io.sieve.platform;

import io.sieve.client.ClusterConfig;
import java.nio.file.Path;

/**
 * Where the embedded platform listens and keeps its data. Everything binds to {@code host}, which is
 * the loopback address unless the user explicitly asks for another. With {@code brokers} > 1, broker
 * {@code i} (from 0) listens on {@code kafkaPort + 2i} and its controller on {@code controllerPort + 2i}:
 * with the defaults, brokers on 9092, 9094, 9096 and controllers on 9093, 9095, 9097.
 */
public record PlatformConfig(Path dataDir, String host, int kafkaPort, int controllerPort, int registryPort, Path registryRunner,
                             int brokers) {
    public static final String LOOPBACK = "127.0.0.1";
    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final int DEFAULT_CONTROLLER_PORT = 9093;
    public static final int DEFAULT_REGISTRY_PORT = 8081;
    public static final String REGISTRY_API_PATH = "/apis/ccompat/v7";

    /** The most brokers the embedded platform runs: a replication factor of 3 needs 3, and 2 cores gain nothing from more. */
    public static final int MAX_BROKERS = 5;
    private static final int PORT_STEP = 2;

    public PlatformConfig {
        if (brokers < 1 || brokers > MAX_BROKERS) {
            throw new IllegalArgumentException("--brokers must be 1-" + MAX_BROKERS + ", got " + brokers);
        }
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        ports.add(registryPort);
        for (int i = 0; i < brokers; i++) {
            for (int port : new int[] {kafkaPort + PORT_STEP * i, controllerPort + PORT_STEP * i}) {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port " + port + " is outside 1-65535");
                }
                ports.add(port);
            }
        }
        if (ports.size() != 2 * brokers + 1) {
            throw new IllegalArgumentException("the Kafka, controller and registry ports must differ: "
                    + kafkaPort + ", " + controllerPort + ", " + registryPort + (brokers > 1 ? " (brokers use every second port from their base)" : ""));
        }
    }

    /** A single-broker platform. */
    public PlatformConfig(Path dataDir, String host, int kafkaPort, int controllerPort, int registryPort, Path registryRunner) {
        this(dataDir, host, kafkaPort, controllerPort, registryPort, registryRunner, 1);
    }

    public int kafkaPort(int broker) {
        return kafkaPort + PORT_STEP * broker;
    }

    public int controllerPort(int broker) {
        return controllerPort + PORT_STEP * broker;
    }

    public PlatformConfig withBrokers(int count) {
        return new PlatformConfig(dataDir, host, kafkaPort, controllerPort, registryPort, registryRunner, count);
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

    /** Every broker's address. */
    public String bootstrapServers() {
        return java.util.stream.IntStream.range(0, brokers).mapToObj(i -> host + ":" + kafkaPort(i))
                .collect(java.util.stream.Collectors.joining(","));
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
        return new PlatformConfig(dataDir, host, kafka, controller, registry, registryRunner, brokers);
    }
}

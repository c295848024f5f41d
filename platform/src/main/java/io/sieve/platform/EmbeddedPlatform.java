package io.sieve.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;

/**
 * The embedded platform: a single-node KRaft Kafka broker and an Apicurio schema registry, each in
 * its own JVM, both bound to the configured host (loopback by default), both keeping their data
 * under the data folder: the broker its log directory, the registry its schemas in an H2 database
 * file. So a stop and a start (or a crash, or a reboot) keep topics, committed offsets and schema
 * ids together; only {@link #reset} wipes them, and then also the Kafka Streams state built against them.
 */
public final class EmbeddedPlatform {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final String KAFKA_MAIN = "kafka.Kafka";

    private final PlatformConfig config;
    private final ManagedProcess kafka;
    private final ManagedProcess registry;

    public EmbeddedPlatform(PlatformConfig config) {
        this.config = config;
        this.kafka = new ManagedProcess("kafka", config.runDir(), config.logDir());
        this.registry = new ManagedProcess("registry", config.runDir(), config.logDir());
    }

    public PlatformConfig config() {
        return config;
    }

    /**
     * Starts whichever of the broker and the registry is down, in parallel, on the data they kept,
     * and returns once both answer.
     *
     * @param detach true to let them outlive this JVM (the CLI); false to tie them to it, so that they
     *               end with it even when it is killed (tests, demo)
     * @return the names of the servers this call started (empty if both were running)
     */
    public List<String> start(boolean detach) {
        boolean kafkaDown = kafka.running().isEmpty();
        boolean registryDown = registry.running().isEmpty();
        if (registryDown && !Files.isRegularFile(config.registryRunner())) {
            throw new PlatformException("the schema registry is not built: " + config.registryRunner()
                    + " is missing; run `./mvnw -pl registry package -DskipTests`");
        }
        if (kafkaDown) {
            ManagedProcess.requireFreePort(config.host(), config.kafkaPort(), "Kafka", "--kafka-port");
            ManagedProcess.requireFreePort(config.host(), config.controllerPort(), "Kafka controller", "--controller-port");
        }
        if (registryDown) {
            ManagedProcess.requireFreePort(config.host(), config.registryPort(), "Schema registry", "--registry-port");
        }
        List<String> started = new ArrayList<>();
        CompletableFuture<Void> kafkaUp = CompletableFuture.completedFuture(null);
        CompletableFuture<Void> registryUp = CompletableFuture.completedFuture(null);
        if (kafkaDown) {
            started.add(kafka.name());
            kafkaUp = CompletableFuture.runAsync(() -> startKafka(detach));
        }
        if (registryDown) {
            started.add(registry.name());
            registryUp = CompletableFuture.runAsync(() -> startRegistry(detach));
        }
        try {
            CompletableFuture.allOf(kafkaUp, registryUp).join();
        } catch (CompletionException e) {
            if (kafkaDown) {
                kafka.stop();
            }
            if (registryDown) {
                registry.stop();
            }
            throw e.getCause() instanceof PlatformException pe ? pe : new PlatformException(e.getCause().toString(), e.getCause());
        }
        return started;
    }

    /**
     * Stops both servers and deletes what they kept (topics, offsets, schemas) and the Kafka Streams
     * state under the data folder, which belonged to that cluster.
     *
     * @return the folders deleted
     */
    public List<Path> reset() {
        stop();
        List<Path> deleted = new ArrayList<>();
        for (Path dir : List.of(kafkaDir(), registryDir(), config.streamsStateDir())) {
            if (Files.exists(dir)) {
                deleteRecursively(dir);
                deleted.add(dir);
            }
        }
        return deleted;
    }

    public List<ComponentStatus> status() {
        return List.of(
                new ComponentStatus("kafka", config.bootstrapServers(), kafka.running().map(ProcessHandle::pid).orElse(null),
                        kafka.running().isPresent() && kafkaAnswers(Duration.ofSeconds(3)), kafka.logFile()),
                new ComponentStatus("registry", config.registryUrl(), registry.running().map(ProcessHandle::pid).orElse(null),
                        registry.running().isPresent() && registryAnswers(), registry.logFile()));
    }

    /** Stops both servers; returns the names of those that were running. */
    public List<String> stop() {
        List<String> stopped = new ArrayList<>();
        for (ManagedProcess process : List.of(registry, kafka)) {
            if (process.stop()) {
                stopped.add(process.name());
            }
        }
        return stopped;
    }

    /**
     * Stops the broker and starts it again on the same data, as an operator restarting it would: every
     * topic, committed offset and transaction survives. For fault-injection tests.
     */
    public void restartBroker() {
        kafka.stop();
        startKafka(false);
    }

    private Path kafkaDir() {
        return config.dataDir().resolve("kafka");
    }

    private Path registryDir() {
        return config.dataDir().resolve("registry");
    }

    /** Formats the broker's storage the first time; later starts run on the data it kept. */
    private void startKafka(boolean detach) {
        Path kafkaDir = kafkaDir();
        Path properties = writeServerProperties(kafkaDir);
        if (!Files.isRegularFile(kafkaDir.resolve("data").resolve("meta.properties"))) {
            runToCompletion(List.of(javaExecutable(), "-cp", System.getProperty("java.class.path"), "kafka.tools.StorageTool", "format",
                    "-t", Uuid.randomUuid().toString(), "-c", properties.toString()), kafkaDir.resolve("format.log"));
        }
        launchKafka(properties, detach);
    }

    private void launchKafka(Path properties, boolean detach) {
        String java = javaExecutable();
        String classpath = System.getProperty("java.class.path");
        ProcessHandle process = kafka.start(List.of(java, "-Xms256m", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", classpath, KAFKA_MAIN, properties.toString()), Map.of(), detach);
        kafka.awaitReady(process, () -> kafkaAnswers(Duration.ofSeconds(2)), START_TIMEOUT);
    }

    /** The registry keeps its schemas in an H2 database file (Apicurio's SQL storage, whose default is an in-memory H2). */
    private void startRegistry(boolean detach) {
        try {
            Files.createDirectories(registryDir());
        } catch (IOException e) {
            throw new PlatformException("cannot create " + registryDir() + ": " + e.getMessage(), e);
        }
        String database = "jdbc:h2:file:" + registryDir().resolve("schemas").toAbsolutePath();
        ProcessHandle process = registry.start(List.of(javaExecutable(), "-Xmx512m",
                "-Dquarkus.http.host=" + config.host(), "-Dquarkus.http.port=" + config.registryPort(),
                "-jar", config.registryRunner().toString()), Map.of("REGISTRY_DATASOURCE_URL", database), detach);
        registry.awaitReady(process, this::registryAnswers, START_TIMEOUT);
    }

    private Path writeServerProperties(Path kafkaDir) {
        String host = config.host();
        Properties p = new Properties();
        p.putAll(Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", "1"),
                Map.entry("controller.quorum.voters", "1@" + host + ":" + config.controllerPort()),
                Map.entry("listeners", "PLAINTEXT://" + host + ":" + config.kafkaPort() + ",CONTROLLER://" + host + ":" + config.controllerPort()),
                Map.entry("advertised.listeners", "PLAINTEXT://" + host + ":" + config.kafkaPort()),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("log.dirs", kafkaDir.resolve("data").toAbsolutePath().toString()),
                Map.entry("num.partitions", "4"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "8"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("transaction.state.log.num.partitions", "4"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                Map.entry("message.max.bytes", "8388608")));
        try {
            Files.createDirectories(kafkaDir);
            Path file = kafkaDir.resolve("server.properties");
            try (var out = Files.newBufferedWriter(file)) {
                p.store(out, "written by sieve platform start");
            }
            return file;
        } catch (IOException e) {
            throw new PlatformException("cannot write Kafka configuration under " + kafkaDir + ": " + e.getMessage(), e);
        }
    }

    private boolean kafkaAnswers(Duration timeout) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(props)) {
            return !admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .nodes().get().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private boolean registryAnswers() {
        try {
            HttpResponse<Void> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(config.registryUrl() + "/subjects")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void runToCompletion(List<String> command, Path log) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            int exit = process.waitFor();
            if (exit != 0) {
                throw new PlatformException("formatting Kafka's storage failed (exit " + exit + "); see " + log
                        + ":\n" + Files.readString(log));
            }
        } catch (IOException e) {
            throw new PlatformException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("interrupted while formatting Kafka's storage");
        }
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }

    /** One server's state as `sieve platform status` reports it. */
    public record ComponentStatus(String name, String address, Long pid, boolean answering, Path logFile) {
        public String describe() {
            if (pid == null) {
                return name + ": down (not running; log " + logFile + ")";
            }
            return name + ": " + (answering ? "up at " + address : "running (pid " + pid + ") but not answering at "
                    + address + "; see " + logFile) + (answering ? " (pid " + pid + ")" : "");
        }
    }
}

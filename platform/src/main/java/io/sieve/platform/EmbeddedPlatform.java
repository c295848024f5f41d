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
import java.util.Optional;
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
    private static final String CLUSTER_FILE = "cluster.properties";

    private final PlatformConfig config;
    private final List<ManagedProcess> brokers = new ArrayList<>();
    private final ManagedProcess registry;

    public EmbeddedPlatform(PlatformConfig config) {
        this.config = config;
        for (int i = 0; i < config.brokers(); i++) {
            brokers.add(new ManagedProcess(brokerName(i), config.runDir(), config.logDir()));
        }
        this.registry = new ManagedProcess("registry", config.runDir(), config.logDir());
    }

    /** "kafka" for the single broker; "kafka-1", "kafka-2", ... in a cluster. */
    private String brokerName(int broker) {
        return config.brokers() == 1 ? "kafka" : "kafka-" + (broker + 1);
    }

    public PlatformConfig config() {
        return config;
    }

    /**
     * How many brokers the platform under {@code dataDir} was first started with, if it ever was:
     * its data is a cluster of that size, and only `reset` changes it.
     */
    public static Optional<Integer> recordedBrokers(Path dataDir) {
        Path file = dataDir.resolve(CLUSTER_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            p.load(in);
            return Optional.of(Integer.parseInt(p.getProperty("brokers", "1").trim()));
        } catch (IOException | NumberFormatException e) {
            throw new PlatformException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts whichever of the brokers and the registry is down, in parallel, on the data they kept,
     * and returns once all answer.
     *
     * @param detach true to let them outlive this JVM (the CLI); false to tie them to it, so that they
     *               end with it even when it is killed (tests, demo)
     * @return the names of the servers this call started (empty if all were running)
     */
    public List<String> start(boolean detach) {
        Optional<Integer> recorded = recordedBrokers(config.dataDir());
        if (recorded.isPresent() && recorded.get() != config.brokers()) {
            throw new PlatformException(config.dataDir() + " holds a cluster of " + recorded.get() + " broker(s); start it with --brokers "
                    + recorded.get() + ", or `./sieve platform reset` first to make a new one");
        }
        boolean registryDown = registry.running().isEmpty();
        if (registryDown && !Files.isRegularFile(config.registryRunner())) {
            throw new PlatformException("the schema registry is not built: " + config.registryRunner()
                    + " is missing; run `./mvnw -pl registry package -DskipTests`");
        }
        List<Integer> down = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            if (brokers.get(i).running().isEmpty()) {
                down.add(i);
                ManagedProcess.requireFreePort(config.host(), config.kafkaPort(i), "Kafka", "--kafka-port");
                ManagedProcess.requireFreePort(config.host(), config.controllerPort(i), "Kafka controller", "--controller-port");
            }
        }
        if (registryDown) {
            ManagedProcess.requireFreePort(config.host(), config.registryPort(), "Schema registry", "--registry-port");
        }
        String clusterId = clusterId();
        List<String> started = new ArrayList<>();
        List<CompletableFuture<Void>> starting = new ArrayList<>();
        for (int i : down) {
            started.add(brokers.get(i).name());
            starting.add(CompletableFuture.runAsync(() -> startBroker(i, clusterId, detach)));
        }
        if (registryDown) {
            started.add(registry.name());
            starting.add(CompletableFuture.runAsync(() -> startRegistry(detach)));
        }
        try {
            CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
            awaitCluster();
        } catch (CompletionException | PlatformException e) {
            down.forEach(i -> brokers.get(i).stop());
            if (registryDown) {
                registry.stop();
            }
            Throwable cause = e instanceof CompletionException ? e.getCause() : e;
            throw cause instanceof PlatformException pe ? pe : new PlatformException(cause.toString(), cause);
        }
        writeClusterFile();
        return started;
    }

    /**
     * Stops every server and deletes what they kept (topics, offsets, schemas) and the Kafka Streams
     * state under the data folder, which belonged to that cluster.
     *
     * @return the folders deleted
     */
    public List<Path> reset() {
        stop();
        List<Path> deleted = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        // Every broker folder there is ("kafka", "kafka-1", ...), whatever size of cluster made them.
        if (Files.isDirectory(config.dataDir())) {
            try (Stream<Path> entries = Files.list(config.dataDir())) {
                entries.filter(p -> p.getFileName().toString().matches("kafka(-\\d+)?")).sorted().forEach(dirs::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + config.dataDir(), e);
            }
        }
        dirs.addAll(List.of(registryDir(), config.streamsStateDir(), config.dataDir().resolve(CLUSTER_FILE)));
        for (Path dir : dirs) {
            if (Files.exists(dir)) {
                deleteRecursively(dir);
                deleted.add(dir);
            }
        }
        return deleted;
    }

    public List<ComponentStatus> status() {
        List<ComponentStatus> status = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            ManagedProcess broker = brokers.get(i);
            Optional<ProcessHandle> running = broker.running();
            String address = config.host() + ":" + config.kafkaPort(i);
            status.add(new ComponentStatus(broker.name(), address, running.map(ProcessHandle::pid).orElse(null),
                    running.isPresent() && brokerAnswers(address, Duration.ofSeconds(3)), broker.logFile()));
        }
        status.add(new ComponentStatus("registry", config.registryUrl(), registry.running().map(ProcessHandle::pid).orElse(null),
                registry.running().isPresent() && registryAnswers(), registry.logFile()));
        return status;
    }

    /** Stops every server (the brokers together, so that none waits for a quorum the others already left); returns the names of those that were running. */
    public List<String> stop() {
        List<String> stopped = new ArrayList<>();
        if (registry.stop()) {
            stopped.add(registry.name());
        }
        List<CompletableFuture<Boolean>> stopping = brokers.stream().map(b -> CompletableFuture.supplyAsync(b::stop)).toList();
        for (int i = 0; i < brokers.size(); i++) {
            if (stopping.get(i).join()) {
                stopped.add(brokers.get(i).name());
            }
        }
        return stopped;
    }

    /**
     * Stops the broker and starts it again on the same data, as an operator restarting it would: every
     * topic, committed offset and transaction survives. For fault-injection tests.
     */
    public void restartBroker() {
        restartBroker(0);
    }

    /** Stops broker {@code broker} (SIGTERM: a controlled shutdown) and starts it again on its data. */
    public void restartBroker(int broker) {
        brokers.get(broker).stop();
        startBroker(broker, clusterId(), false);
        awaitCluster();
    }

    /** SIGKILLs broker {@code broker}: a crash, for fault-injection tests. */
    public void killBroker(int broker) {
        brokers.get(broker).kill();
    }

    /** Starts broker {@code broker} again after a kill, on its data. */
    public void startBroker(int broker) {
        startBroker(broker, clusterId(), false);
        awaitCluster();
    }

    /** SIGKILLs the registry: a crash, for fault-injection tests. */
    public void killRegistry() {
        registry.kill();
    }

    /** Starts the registry again after a kill, on its schemas. */
    public void startRegistry() {
        startRegistry(false);
    }

    /** The broker id ({@code node.id}) of broker index {@code broker}. */
    public static int nodeId(int broker) {
        return broker + 1;
    }

    private Path brokerDir(int broker) {
        return config.dataDir().resolve(brokerName(broker));
    }

    private Path registryDir() {
        return config.dataDir().resolve("registry");
    }

    /** The id of the cluster under the data folder (from a formatted broker), or a new one. */
    private String clusterId() {
        for (int i = 0; i < brokers.size(); i++) {
            Path meta = brokerDir(i).resolve("data").resolve("meta.properties");
            if (Files.isRegularFile(meta)) {
                Properties p = new Properties();
                try (var in = Files.newBufferedReader(meta)) {
                    p.load(in);
                } catch (IOException e) {
                    throw new PlatformException("cannot read " + meta + ": " + e.getMessage(), e);
                }
                String id = p.getProperty("cluster.id");
                if (id != null) {
                    return id;
                }
            }
        }
        return Uuid.randomUuid().toString();
    }

    private void writeClusterFile() {
        Path file = config.dataDir().resolve(CLUSTER_FILE);
        try {
            Files.writeString(file, "# written by sieve platform start: the size of the cluster this data folder holds\nbrokers="
                    + config.brokers() + "\n");
        } catch (IOException e) {
            throw new PlatformException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Formats the broker's storage the first time; later starts run on the data it kept. */
    private void startBroker(int broker, String clusterId, boolean detach) {
        Path dir = brokerDir(broker);
        Path properties = writeServerProperties(broker, dir);
        if (!Files.isRegularFile(dir.resolve("data").resolve("meta.properties"))) {
            runToCompletion(List.of(javaExecutable(), "-cp", System.getProperty("java.class.path"), "kafka.tools.StorageTool", "format",
                    "-t", clusterId, "-c", properties.toString()), dir.resolve("format.log"));
        }
        ManagedProcess process = brokers.get(broker);
        ProcessHandle handle = process.start(List.of(javaExecutable(), "-Xms256m", "-Xmx1g",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-cp", System.getProperty("java.class.path"), KAFKA_MAIN,
                properties.toString()), Map.of(), detach);
        // A broker of a cluster answers once a quorum of controllers is up: the others start in parallel.
        process.awaitReady(handle, () -> brokerAnswers(config.host() + ":" + config.kafkaPort(broker), Duration.ofSeconds(2)),
                START_TIMEOUT);
    }

    /** Waits until every broker has registered with the cluster. */
    private void awaitCluster() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (registeredBrokers(Duration.ofSeconds(2)) >= config.brokers()) {
                return;
            }
            ManagedProcess.sleep(200);
        }
        throw new PlatformException("only " + registeredBrokers(Duration.ofSeconds(2)) + " of " + config.brokers()
                + " brokers registered within " + START_TIMEOUT.toSeconds() + " s; see the logs in " + config.logDir());
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

    private Path writeServerProperties(int broker, Path kafkaDir) {
        String host = config.host();
        int n = config.brokers();
        String replication = Integer.toString(Math.min(3, n));
        String minInSync = n >= 3 ? "2" : "1";
        String voters = java.util.stream.IntStream.range(0, n).mapToObj(i -> nodeId(i) + "@" + host + ":" + config.controllerPort(i))
                .collect(java.util.stream.Collectors.joining(","));
        Properties p = new Properties();
        p.putAll(Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", Integer.toString(nodeId(broker))),
                Map.entry("controller.quorum.voters", voters),
                Map.entry("listeners", "PLAINTEXT://" + host + ":" + config.kafkaPort(broker) + ",CONTROLLER://" + host + ":"
                        + config.controllerPort(broker)),
                Map.entry("advertised.listeners", "PLAINTEXT://" + host + ":" + config.kafkaPort(broker)),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("log.dirs", kafkaDir.resolve("data").toAbsolutePath().toString()),
                Map.entry("num.partitions", "4"),
                // Replicated as far as the cluster allows (3 copies, 2 in sync for a write, on 3 brokers or more).
                Map.entry("default.replication.factor", replication),
                Map.entry("min.insync.replicas", minInSync),
                Map.entry("offsets.topic.replication.factor", replication),
                Map.entry("offsets.topic.num.partitions", "8"),
                Map.entry("transaction.state.log.replication.factor", replication),
                Map.entry("transaction.state.log.min.isr", minInSync),
                Map.entry("transaction.state.log.num.partitions", "4"),
                Map.entry("share.coordinator.state.topic.replication.factor", replication),
                Map.entry("share.coordinator.state.topic.min.isr", minInSync),
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

    private boolean brokerAnswers(String address, Duration timeout) {
        return registeredBrokers(address, timeout) > 0;
    }

    private int registeredBrokers(Duration timeout) {
        return registeredBrokers(config.bootstrapServers(), timeout);
    }

    private static int registeredBrokers(String bootstrap, Duration timeout) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(props)) {
            return admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).nodes().get().size();
        } catch (Exception e) {
            return 0;
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

package io.sieve.cli;

import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "platform", mixinStandardHelpOptions = true,
        description = "Run the embedded single-node Kafka broker and schema registry on this machine.",
        subcommands = {PlatformCommand.Start.class, PlatformCommand.Stop.class, PlatformCommand.Status.class, PlatformCommand.Reset.class})
final class PlatformCommand {

    @Option(names = "--data-dir", description = "Where logs, pid files and broker data live (default: ${DEFAULT-VALUE}).",
            defaultValue = "${sys:sieve.home:-.}/.sieve")
    Path dataDir;

    @Option(names = "--host", defaultValue = PlatformConfig.LOOPBACK,
            description = "Address to bind (default: ${DEFAULT-VALUE}). Anything but loopback exposes an unauthenticated broker and registry.")
    String host;

    @Option(names = "--kafka-port", defaultValue = "" + PlatformConfig.DEFAULT_KAFKA_PORT, description = "Broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--controller-port", defaultValue = "" + PlatformConfig.DEFAULT_CONTROLLER_PORT,
            description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--registry-port", defaultValue = "" + PlatformConfig.DEFAULT_REGISTRY_PORT,
            description = "Schema registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--brokers", description = "Kafka brokers (KRaft, each its own JVM, ports and data; 3 gives replication "
            + "factor 3 with 2 in sync). Default: as many as the data folder holds, else 1. Changing it needs `reset`.")
    Integer brokers;

    EmbeddedPlatform platform() {
        Path data = dataDir.toAbsolutePath().normalize();
        int count = brokers != null ? brokers : EmbeddedPlatform.recordedBrokers(data).orElse(1);
        return new EmbeddedPlatform(new PlatformConfig(data, host, kafkaPort, controllerPort, registryPort,
                PlatformConfig.defaultRegistryRunner(SieveHome.path()), count));
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Start whichever of the broker and the registry is down, on the data they kept; returns once both answer.",
                "Topics, offsets and schemas survive stop/start; `reset` wipes them."})
    static final class Start implements Callable<Integer> {
        @ParentCommand
        PlatformCommand parent;

        @Override
        public Integer call() {
            EmbeddedPlatform platform = parent.platform();
            PlatformConfig config = platform.config();
            if (!config.isLoopback()) {
                System.err.println("WARNING: binding to " + config.host() + ": the broker and registry have no authentication "
                        + "and will accept connections from other machines.");
            }
            System.out.println("Starting Kafka and the schema registry (logs in " + config.logDir() + ") ...");
            long started = System.nanoTime();
            List<String> launched = platform.start(true);
            System.out.printf("%s in %.1f s%n", launched.isEmpty() ? "Both were already running"
                    : "Started " + String.join(" and ", launched), (System.nanoTime() - started) / 1e9);
            System.out.println("  Kafka bootstrap servers: " + config.bootstrapServers());
            System.out.println("  Schema registry:         " + config.registryUrl());
            System.out.println("Stop it with ./sieve platform stop");
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the broker and the registry.")
    static final class Stop implements Callable<Integer> {
        @ParentCommand
        PlatformCommand parent;

        @Override
        public Integer call() {
            List<String> stopped = parent.platform().stop();
            System.out.println(stopped.isEmpty() ? "Nothing was running." : "Stopped: " + String.join(", ", stopped));
            return 0;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Stop the broker and the registry and delete their data (topics, offsets, schemas) and the Kafka Streams state under the data folder.")
    static final class Reset implements Callable<Integer> {
        @ParentCommand
        PlatformCommand parent;

        @Override
        public Integer call() {
            List<Path> deleted = parent.platform().reset();
            System.out.println(deleted.isEmpty() ? "Nothing to delete." : "Deleted " + deleted.stream().map(Path::toString)
                    .collect(java.util.stream.Collectors.joining(", ")));
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Say whether the broker and the registry run and answer; exit 1 if either does not.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        PlatformCommand parent;

        @Override
        public Integer call() {
            List<EmbeddedPlatform.ComponentStatus> status = parent.platform().status();
            status.forEach(s -> System.out.println(s.describe()));
            return status.stream().allMatch(EmbeddedPlatform.ComponentStatus::answering) ? 0 : 1;
        }
    }
}

package io.sieve.cli;

import io.sieve.client.ClusterConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which cluster a command talks to: the embedded platform unless a file or the environment says otherwise. */
final class ClusterOptions {
    @Option(names = "--config", description = "Properties file: bootstrap.servers, schema.registry.url, Kafka client and Streams "
            + "properties (passed through), sieve.* settings. SIEVE_* environment variables override it.")
    Path config;

    ClusterConfig load() {
        return ClusterConfig.load(config, System.getenv());
    }
}

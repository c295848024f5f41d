package io.sieve.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams state belongs to the cluster it was built against: its checkpoints hold offsets of
 * that cluster's changelogs and topics. Against another cluster (a reset or re-created broker,
 * another bootstrap address) those offsets point past the ends of the new, empty topics and Kafka
 * Streams refuses to start. So each application's state folder is tagged with the cluster id it was
 * built on, and a folder from another cluster (or an untagged one) is cleared: state is always
 * rebuilt from the cluster's changelogs, so clearing loses nothing of that cluster.
 */
final class StateDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(StateDirectory.class);

    private StateDirectory() {
    }

    /** Clears {@code stateDir/<applicationId>} unless it was built against {@code clusterId}, and tags it with that id. */
    static void claim(Path stateDir, String applicationId, String clusterId) {
        Path appDir = stateDir.resolve(applicationId);
        Path tag = stateDir.resolve(applicationId + ".cluster-id");
        try {
            String recorded = Files.isRegularFile(tag) ? Files.readString(tag, StandardCharsets.UTF_8).trim() : null;
            if (Files.exists(appDir) && !clusterId.equals(recorded)) {
                LOG.info("clearing Kafka Streams state {}: it was built against {}, this cluster is {}", appDir,
                        recorded == null ? "an unknown cluster" : "cluster " + recorded, clusterId);
                deleteRecursively(appDir);
            }
            Files.createDirectories(stateDir);
            Files.writeString(tag, clusterId + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the Kafka Streams state folder " + appDir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

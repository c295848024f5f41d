package io.sieve.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A quick look at whether the cluster answers, for commands that would otherwise wait out Kafka's
 * client timeouts (a minute and more) without saying why.
 */
public final class Brokers {
    /** Long enough for a busy broker, short enough that a user is told soon. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private Brokers() {
    }

    public static void requireReachable(ClusterConfig cluster) {
        requireReachable(cluster, DEFAULT_TIMEOUT);
    }

    /** @throws IllegalStateException naming the bootstrap servers when no broker answers within {@code timeout} */
    public static void requireReachable(ClusterConfig cluster, Duration timeout) {
        Map<String, Object> props = new HashMap<>(cluster.kafkaProperties());
        int millis = (int) timeout.toMillis();
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().clusterId().get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("no Kafka broker answers at " + cluster.bootstrapServers() + " within " + timeout.toSeconds()
                    + " s; start one with `./sieve platform start`, or point SIEVE_BOOTSTRAP_SERVERS / --config at yours", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while looking for Kafka at " + cluster.bootstrapServers(), e);
        }
    }
}

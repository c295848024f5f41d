package io.sieve.stream;

import io.sieve.cascade.filter.CameraFilters;
import io.sieve.client.ClusterConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The stream app's own settings, read from {@code sieve.*} keys of the configuration file or
 * {@code SIEVE_*} environment variables (see {@link ClusterConfig}).
 *
 * @param stages          which cascade stages this instance runs ({@code sieve.stages}: "all" or e.g. "0" or "1,2")
 * @param applicationId   Kafka Streams application id ({@code sieve.application.id}); instances sharing it share the
 *                        work, so it defaults to one id per set of stages: {@code sieve-cascade} for all of them,
 *                        {@code sieve-cascade-stage-1} for stage 1 alone
 * @param topicPrefix     prefix of every topic name ({@code sieve.topic.prefix})
 * @param partitions      partitions of the topics the app creates if missing ({@code sieve.topic.partitions})
 * @param replication     their replication factor ({@code sieve.topic.replication}); -1 for the broker's default ({@code auto})
 * @param modelThreads    ONNX Runtime intra-op threads per model ({@code sieve.model.threads})
 * @param metricsPort     Prometheus endpoint port on {@code metricsHost}, 0 = off ({@code sieve.metrics.port})
 * @param stateDir        Kafka Streams state directory ({@code sieve.state.dir})
 * @param aggregate       whether this instance aggregates query progress ({@code sieve.aggregate}: true, false, or
 *                        "auto" = where stage 0 runs)
 * @param progressMillis  interval of progress records while a query changes ({@code sieve.progress.interval.ms})
 * @param filters         difference filter thresholds, mean absolute difference per sample, 0 = off, for every camera or
 *                        per camera ({@code sieve.filter.threshold}: {@code 20} or {@code 0,scene-*=20}), and the cameras
 *                        that learn their background so that nothing in view runs no model ({@code sieve.filter.background}:
 *                        {@code none}, {@code *} or patterns like {@code scene-*}); see {@link CameraFilters}
 * @param eagerCommitMillis while the stages keep up with live frames, commit at most this often rather than every
 *                        {@code commit.interval.ms}; 0 = off ({@code sieve.eager.commit.ms}, see {@link StageProcessor})
 */
public record StreamAppConfig(String stages, String applicationId, String topicPrefix, int partitions, short replication,
                              int modelThreads, String metricsHost, int metricsPort, Path stateDir, String aggregate,
                              long progressMillis, CameraFilters filters, long eagerCommitMillis) {

    public static StreamAppConfig from(ClusterConfig cluster, Path sieveHome) {
        try {
            String stages = cluster.setting("stages", "all");
            String defaultId = "all".equalsIgnoreCase(stages.trim()) ? "sieve-cascade"
                    : "sieve-cascade-stage-" + stages.trim().replace(",", "-").replace(" ", "");
            return new StreamAppConfig(
                    stages,
                    cluster.setting("application.id", defaultId),
                    cluster.setting("topic.prefix", ""),
                    Integer.parseInt(cluster.setting("topic.partitions", "4")),
                    replication(cluster.setting("topic.replication", "auto")),
                    Integer.parseInt(cluster.setting("model.threads", "1")),
                    cluster.setting("metrics.host", "127.0.0.1"),
                    Integer.parseInt(cluster.setting("metrics.port", "9400")),
                    Path.of(cluster.setting("state.dir", sieveHome.resolve(".sieve/streams").toString())),
                    cluster.setting("aggregate", "auto"),
                    Long.parseLong(cluster.setting("progress.interval.ms", "500")),
                    filters(cluster.setting("filter.threshold", "0"), cluster.setting("filter.background", "none")),
                    Long.parseLong(cluster.setting("eager.commit.ms", "20")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid number in the stream app settings: " + e.getMessage(), e);
        }
    }

    private static CameraFilters filters(String thresholds, String backgrounds) {
        try {
            return CameraFilters.parse(thresholds, backgrounds);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sieve.filter.threshold / sieve.filter.background: " + e.getMessage(), e);
        }
    }

    /** Whether this instance aggregates, given the stages it runs. */
    public boolean aggregates(Set<Integer> selectedStages) {
        return switch (aggregate.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            case "auto" -> selectedStages.contains(0);
            default -> throw new IllegalArgumentException("sieve.aggregate must be true, false or auto, got '" + aggregate + "'");
        };
    }

    /** The stage indices to run, given how many the cascade has. */
    public Set<Integer> selectedStages(int cascadeStages) {
        if ("all".equalsIgnoreCase(stages.trim())) {
            Set<Integer> all = new TreeSet<>();
            for (int s = 0; s < cascadeStages; s++) {
                all.add(s);
            }
            return all;
        }
        Set<Integer> selected;
        try {
            selected = Arrays.stream(stages.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Integer::parseInt)
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sieve.stages must be 'all' or stage numbers like '0' or '1,2', got '" + stages + "'");
        }
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("sieve.stages names no stage: '" + stages + "'");
        }
        for (int s : selected) {
            if (s < 0 || s >= cascadeStages) {
                throw new IllegalArgumentException("stage " + s + " does not exist; the cascade has stages 0-" + (cascadeStages - 1));
            }
        }
        return selected;
    }

    /** {@code auto}: the broker's {@code default.replication.factor} (3 on the embedded 3-broker cluster, 1 on one broker). */
    private static short replication(String value) {
        if ("auto".equalsIgnoreCase(value.trim())) {
            return -1;
        }
        try {
            short factor = Short.parseShort(value.trim());
            if (factor < 1) {
                throw new NumberFormatException();
            }
            return factor;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sieve.topic.replication must be 'auto' or a positive number, got '" + value + "'");
        }
    }
}

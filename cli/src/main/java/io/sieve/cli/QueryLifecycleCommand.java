package io.sieve.cli;

import io.sieve.client.ClusterConfig;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.PrecisionProgress;
import io.sieve.schemas.StageThreshold;
import io.sieve.schemas.ThresholdProgress;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import io.sieve.schemas.QueryState;
import io.sieve.client.Brokers;
import io.sieve.client.QueryClient;
import io.sieve.cascade.estimate.DriftMonitor;
import io.sieve.cascade.estimate.PrecisionTarget;
import io.sieve.schemas.AuditProgress;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "query", mixinStandardHelpOptions = true, description = "Start, abort and watch queries.",
        subcommands = {QueryLifecycleCommand.Start.class, QueryLifecycleCommand.Abort.class, QueryLifecycleCommand.Watch.class})
final class QueryLifecycleCommand {

    static QueryClient client(ClusterOptions options) {
        ClusterConfig cluster = options.load();
        Brokers.requireReachable(cluster);
        return new QueryClient(cluster, new Topics(StreamAppConfig.from(cluster, SieveHome.path()).topicPrefix(), cluster.registryUrl()));
    }

    static String validQueryId(String id) {
        if (!QueryClient.isValidName(id)) {
            throw new IllegalArgumentException("query id '" + id + "' must be 1-64 letters, digits, '.', '_' or '-'");
        }
        return id;
    }

    /** {@code rate} if it is a share (or null: the cascade's rate). */
    static Double validAuditRate(Double rate) {
        if (rate != null && !(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("--audit-rate " + rate + " is not a share between 0 (no audit) and 1 (every early-decided frame)");
        }
        return rate;
    }

    /** {@code name} if it is one of the cascade's classes (or null: every class); the cascade is read only for a name. */
    static String validClass(String name, Path cascade) {
        return name == null ? null : ModelCards.ofCascade(cascade).requireClass(name, "the cascade " + cascade.getFileName());
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a query (frames are sent by `sieve produce --query`, or come live).")
    static final class Start implements Callable<Integer> {
        @Option(names = "--id", description = "Query id (default: q-<time>).")
        String id;

        @Option(names = "--target", description = "Target class, one of the cascade's, e.g. automobile (default: a histogram of every class).")
        String target;

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "The cascade the stream app runs: its models' classes are the valid targets (default: ${DEFAULT-VALUE}).")
    Path cascade;

        @Option(names = "--cameras", split = ",", description = "Cameras (live queries; default: every camera).")
        List<String> cameras = List.of();

        @Option(names = "--live", description = "Aggregate frames as they arrive, instead of a retrospective replay.")
        boolean live;

        @Option(names = "--from", description = "Live window start (ISO-8601, e.g. 2026-11-23T08:00:00Z).")
        Instant from;

        @Option(names = "--to", description = "Live window end (ISO-8601).")
        Instant to;

        @Option(names = "--expected", description = "Frames the query will see, for progress and ETA.")
        Long expected;

        @Option(names = "--audit-rate", description = "Share of the query's early-decided frames the last stage labels too "
                + "(0 = none; default: the cascade's audit_rate). Live frames are shared by every live query: they are audited "
                + "at the cascade's rate.")
        Double auditRate;

        @Mixin
        PrecisionOptions precision;

        @Mixin
        BudgetOptions budget;

        @Mixin
        ClusterOptions cluster;

        @Override
        public Integer call() {
            String queryId = validQueryId(id != null ? id : "q-" + System.currentTimeMillis());
            if (expected != null && expected < 1) {
                throw new IllegalArgumentException("--expected must be positive");
            }
            if (from != null && to != null && !from.isBefore(to)) {
                throw new IllegalArgumentException("--from must be before --to");
            }
            if (live && auditRate != null) {
                throw new IllegalArgumentException("--audit-rate is for retrospective queries: live frames are shared by every live "
                        + "query and are audited at the cascade's audit_rate");
            }
            QueryCommand.Builder command = QueryCommand.newBuilder().setQueryId(queryId).setAction(QueryAction.START)
                    .setMode(live ? QueryMode.LIVE : QueryMode.RETROSPECTIVE).setCameras(cameras).setFromTime(from).setToTime(to)
                    .setTargetClass(validClass(target, cascade)).setExpectedFrames(expected).setAuditRate(validAuditRate(auditRate))
                    .setIssuedTime(Instant.now());
            precision.applyTo(command, live, expected);
            budget.applyTo(command, live);
            try (QueryClient queries = client(cluster)) {
                queries.send(command.build());
            }
            System.out.println("Started query " + queryId + "; follow it with ./sieve query watch " + queryId);
            return 0;
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, description = "Abort a query: its frames stop being sent and processed.")
    static final class Abort implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        PrecisionOptions precision;

        @Mixin
        BudgetOptions budget;

        @Mixin
        ClusterOptions cluster;

        @Override
        public Integer call() {
            String queryId = validQueryId(id);
            try (QueryClient queries = client(cluster)) {
                var latest = queries.latestCommand(queryId);
                if (latest.isEmpty()) {
                    System.err.println("sieve query abort: query " + queryId + " was never started; nothing to abort");
                    return 1;
                }
                if (latest.get().getAction() == QueryAction.ABORT) {
                    System.out.println("Query " + queryId + " was already aborted");
                    return 0;
                }
                if (latest.get().getAction() == QueryAction.STOP) {
                    System.out.println("Query " + queryId + " already ended at its requested precision (DONE_AT_PRECISION); nothing to abort");
                    return 0;
                }
                queries.abort(queryId);
            }
            System.out.println("Abort sent for query " + queryId);
            return 0;
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true, description = "Show a query's progress live until it is done or aborted.")
    static final class Watch implements Callable<Integer> {
        private static final long SILENCE_SECONDS = 10;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--timeout", defaultValue = "0", description = "Give up after this many seconds; 0 = never (default).")
        long timeout;

        @Mixin
        ClusterOptions cluster;

        @Override
        public Integer call() throws Exception {
            validQueryId(id);
            CountDownLatch finished = new CountDownLatch(1);
            AtomicReference<Progress> latest = new AtomicReference<>();
            try (QueryClient queries = client(cluster); AutoCloseable follow = queries.followProgress(p -> {
                if (p.getQueryId().equals(id)) {
                    latest.set(p);
                    System.out.print("\r" + line(p) + "   ");
                    if (p.getState() != QueryState.RUNNING) {
                        finished.countDown();
                    }
                }
            })) {
                boolean done = timeout > 0 ? finished.await(timeout, TimeUnit.SECONDS) : await(finished, latest);
                System.out.println();
                Progress last = latest.get();
                if (last == null) {
                    System.out.println("No progress for query " + id + (done ? "" : " yet") + ".");
                    return 1;
                }
                System.out.println(summary(last));
                return done ? 0 : 1;
            }
        }

        /** Waits for the end, saying once if nothing is heard of the query for a while. */
        private boolean await(CountDownLatch latch, AtomicReference<Progress> latest) throws InterruptedException {
            if (!latch.await(SILENCE_SECONDS, TimeUnit.SECONDS) && latest.get() == null) {
                System.err.println("No progress for query " + id + " after " + SILENCE_SECONDS + " s: is it started (./sieve query start) "
                        + "and is the stream app running (./sieve stream)? Still waiting; Ctrl-C stops.");
            }
            latch.await();
            return true;
        }
    }

    static String line(Progress p) {
        long expected = p.getFramesExpected() == null ? 0 : p.getFramesExpected();
        int width = 30;
        int filled = expected > 0 ? (int) Math.min(width, width * p.getFramesSeen() / expected) : 0;
        String bar = "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
        String accuracy = p.getEstimatedAccuracy() == null ? "" : String.format(" accuracy %.1f%% [%.1f, %.1f]",
                100 * p.getEstimatedAccuracy(), 100 * p.getAccuracyLow(), 100 * p.getAccuracyHigh());
        String target = "";
        if (p.getTargetClass() != null) {
            for (ClassEstimate c : p.getClasses()) {
                if (c.getName().equals(p.getTargetClass())) {
                    target = String.format(" %s %.0f [%.0f, %.0f]", c.getName(), c.getEstimate(), c.getLow(), c.getHigh());
                }
            }
        }
        String eta = p.getEtaSeconds() == null ? "" : String.format(" ETA %.0fs", p.getEtaSeconds());
        String audit = p.getAudit() == null || p.getAudit().getDisagreement() == null ? "" : String.format(" last stage disagrees %.1f%% [%.1f, %.1f]",
                100 * p.getAudit().getDisagreement(), 100 * p.getAudit().getDisagreementLow(), 100 * p.getAudit().getDisagreementHigh());
        String drift = p.getDriftWarning() == null ? "" : " DRIFT ALARM";
        if (p.getThresholds() != null && !p.getThresholds().getChanges().isEmpty()) {
            drift += " thresholds corrected";
        }
        PrecisionProgress precision = p.getPrecision();
        String precise = precision == null || precision.getShareHalfWidth() == null ? ""
                : String.format(" precision +-%.1f pts (asked %s)", 100 * precision.getShareHalfWidth(), requested(precision));
        return String.format("%s %s %,d/%s %.0f fps%s%s%s%s%s%s", p.getState(), bar, p.getFramesSeen(), expected > 0 ? String.format("%,d", expected) : "?",
                p.getThroughputFps(), eta, accuracy, target, audit, precise, drift);
    }

    /** What a precision query asked, e.g. "+-2.0 points at 95%". */
    static String requested(PrecisionProgress precision) {
        return PrecisionTarget.describe(precision.getRequestedShare(), precision.getRequestedCount(), precision.getLevel());
    }

    static String summary(Progress p) {
        StringBuilder out = new StringBuilder("Query " + p.getQueryId() + " " + p.getState() + " after " + p.getFramesSeen() + " frames");
        if (p.getTrueAccuracy() != null) {
            out.append(String.format(" (true accuracy of labelled frames %.2f%%)", 100 * p.getTrueAccuracy()));
        }
        PrecisionProgress precision = p.getPrecision();
        AuditProgress audit = p.getAudit();
        if (audit != null) {
            out.append(String.format("%n  audit: %,d of %,d early-decided frames labelled by the last stage too, %,d of them differently",
                    audit.getAudited(), audit.getEarlyDecided(), audit.getDisagreements()));
            out.append(audit.getDisagreement() == null ? String.format("%n  audit: %s", audit.getNote())
                    : String.format("%n  the last stage would answer %.2f%% of %s otherwise, %s interval [%.2f, %.2f]",
                            100 * audit.getDisagreement(), audit.getScope(), precision == null ? "95%" : String.format("%.0f%%", 100 * precision.getLevel()),
                            100 * audit.getDisagreementLow(), 100 * audit.getDisagreementHigh()));
        }
        if (precision != null) {
            out.append(String.format("%n  precision: asked %s for %s; reached %s%s", requested(precision), precision.getScope(),
                    precision.getHalfWidth() == null ? "-" : String.format("+-%.1f frames (+-%.2f points)", precision.getHalfWidth(),
                            100 * precision.getShareHalfWidth()),
                    precision.getNote() == null ? "" : " (" + precision.getNote() + ")"));
            out.append(String.format("%n  every interval below is a confidence sequence at %.0f%%, valid whenever the query stops",
                    100 * precision.getLevel()));
        }
        ThresholdProgress thresholds = p.getThresholds();
        if (thresholds != null) {
            out.append(String.format("%n  budget: at most %.2f%% of frames answered otherwise than the last stage", 100 * thresholds.getBudget()));
            if (thresholds.getLoss() != null) {
                out.append(String.format("; estimated %.2f%% [%.2f, %.2f] at the thresholds in force", 100 * thresholds.getLoss(),
                        100 * thresholds.getLossLow(), 100 * thresholds.getLossHigh()));
            }
            for (StageThreshold t : thresholds.getStages()) {
                out.append(String.format("%n  stage %d (%s) threshold %s (calibrated %.3f, %d changes)", t.getStage(), t.getModel(),
                        t.getCurrent() == null ? "above 1: exits nothing" : String.format("%.3f", t.getCurrent()), t.getCalibrated(),
                        t.getChanges()));
            }
            if (thresholds.getNote() != null) {
                out.append(String.format("%n  thresholds: %s", thresholds.getNote()));
            }
        }
        if (p.getDriftWarning() != null) {
            out.append(String.format("%n  WARNING: %s", p.getDriftWarning()));
        } else if (p.getDriftNote() != null) {
            out.append(String.format("%n  %s", p.getDriftNote()));
        } else if (!p.getDrift().isEmpty()) {
            out.append(String.format("%n  drift: no departure from the calibration frames detected (%d sequential tests, at most %.0f%% false alarms)",
                    p.getDrift().size(), 100 * DriftMonitor.FALSE_ALARM_RATE));
        }
        String level = precision == null ? "95%" : String.format("%.0f%%", 100 * precision.getLevel());
        for (ClassEstimate c : p.getClasses()) {
            out.append(String.format("%n  %-11s predicted %6d   estimated %8.1f  %s interval [%.1f, %.1f]", c.getName(), c.getPredicted(),
                    c.getEstimate(), level, c.getLow(), c.getHigh()));
            if (c.getAuditedEstimate() != null) {
                out.append(String.format("   by the last stage (audit) %8.1f [%.1f, %.1f]", c.getAuditedEstimate(), c.getAuditedLow(),
                        c.getAuditedHigh()));
            }
        }
        return out.toString();
    }
}

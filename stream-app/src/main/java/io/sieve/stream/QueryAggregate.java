package io.sieve.stream;

import io.sieve.cascade.definition.ExitProfile;
import io.sieve.cascade.estimate.AuditEstimate;
import io.sieve.cascade.estimate.DriftMonitor;
import io.sieve.cascade.estimate.LagOneAutocorrelation;
import io.sieve.cascade.estimate.OnlineEstimate;
import io.sieve.cascade.estimate.PrecisionTarget;
import io.sieve.cascade.estimate.StageCalibration;
import io.sieve.cascade.estimate.ThresholdControl;
import io.sieve.schemas.AuditState;
import io.sieve.schemas.AutocorrelationState;
import io.sieve.schemas.DriftStageState;
import io.sieve.schemas.EstimateState;
import io.sieve.schemas.QueryAggregateState;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import io.sieve.schemas.QueryState;
import io.sieve.schemas.ThresholdChange;
import io.sieve.schemas.ThresholdControlState;
import io.sieve.schemas.ThresholdMeasure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import io.sieve.serde.StoredStates;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;

/**
 * One query's running totals, live: the aggregator counts into this object and writes its
 * {@link QueryAggregateState} to the state store, so that it survives restarts. The estimator is
 * kept as an object here and turned into its stored form only when written.
 */
final class QueryAggregate {
    /** Reads aggregates stored by earlier Sieve versions too, so that an upgrade keeps running queries. */
    private static final BinaryMessageDecoder<QueryAggregateState> STORED = StoredStates.queryAggregates();
    Long expected;
    String targetClass;
    boolean live;
    /**
     * The query's latest start command (null before it came): its precision and self-correction
     * requests, and what the aggregator's own commands carry on.
     */
    QueryCommand command;
    /** The query's self-correcting thresholds, once it has any (see {@link #thresholdControl}). */
    ThresholdControl thresholds;
    /** Every change the control made, oldest first. */
    final List<ThresholdChange> thresholdChanges = new java.util.ArrayList<>();
    private boolean precisionRead;
    private PrecisionTarget precisionTarget;
    private String precisionRefusal;
    /** null while running. */
    QueryState finalState;
    long seen;
    /** Frames that showed their camera's background, and of them those whose true label names an object. */
    long nothingInView;
    long nothingInViewLabelled;
    long firstDecidedMillis;
    long lastDecidedMillis;
    final long[] framesIn;
    final long[] decided;
    final double[] inferenceMicros;
    final LagOneAutocorrelation targetAutocorrelation;
    /** null when the cascade has no calibration tables. */
    final OnlineEstimate estimate;
    /** What the live audit's pairs say, without the calibration tables. */
    final AuditEstimate audit;
    /** Whether the stream still behaves as the calibration frames did. */
    final DriftMonitor drift;

    private QueryAggregate(int stages, LagOneAutocorrelation autocorrelation, OnlineEstimate estimate, AuditEstimate audit,
                           DriftMonitor drift) {
        this.framesIn = new long[stages];
        this.decided = new long[stages];
        this.inferenceMicros = new double[stages];
        this.targetAutocorrelation = autocorrelation;
        this.estimate = estimate;
        this.audit = audit;
        this.drift = drift;
    }

    static QueryAggregate empty(CascadeTopology.Aggregation aggregation, int stages, int classes) {
        List<StageCalibration> calibration = aggregation.calibration();
        return new QueryAggregate(stages, new LagOneAutocorrelation(),
                calibration.isEmpty() ? null : new OnlineEstimate(calibration, classes), new AuditEstimate(classes),
                new DriftMonitor(aggregation.exitProfiles()));
    }

    /**
     * Why this query's thresholds are not self-corrected, or null when they are: a retrospective
     * query with a recorded loss budget and a stage before the last that can exit.
     */
    String thresholdControlRefusal(CascadeTopology.Aggregation aggregation) {
        if (command == null) {
            return "the query's start command has not arrived";
        }
        Boolean selfCorrect = command.getSelfCorrect();
        if (!(selfCorrect != null ? selfCorrect : aggregation.selfCorrectDefault())) {
            return "self-correcting thresholds are off for this query";
        }
        if (live) {
            return "a live query's frames are shared by every live query, so their thresholds are not corrected per query";
        }
        if (aggregation.lossBudget() == null) {
            return "the cascade file records no accuracy-loss budget (calibrate --eps writes one) to keep";
        }
        if (aggregation.lowestExits().stream().noneMatch(t -> t != null && t <= 1)) {
            return "no stage before the last can exit";
        }
        return null;
    }

    /**
     * The query's self-correcting thresholds, made with its first frame: on frames with true labels
     * they keep the accuracy loss within the budget, on others the disagreement with the last stage
     * within calibration's (from the exit profiles). Null when refused, or before the first frame
     * ({@code labelled} null).
     */
    ThresholdControl thresholdControl(CascadeTopology.Aggregation aggregation, Boolean labelled) {
        if (thresholds == null && labelled != null && thresholdControlRefusal(aggregation) == null) {
            if (labelled) {
                thresholds = new ThresholdControl(ThresholdControl.Measure.ACCURACY_LOSS, aggregation.lossBudget(), controlled(aggregation),
                        tightestAt());
            } else if (calibrationDisagreement(aggregation) != null) {
                thresholds = new ThresholdControl(ThresholdControl.Measure.DISAGREEMENT, calibrationDisagreement(aggregation),
                        controlled(aggregation), tightestAt());
            }
        }
        return thresholds;
    }

    /** The share of calibration frames its early stages answered otherwise than the last stage, or null without exit profiles. */
    static Double calibrationDisagreement(CascadeTopology.Aggregation aggregation) {
        List<ExitProfile> profiles = aggregation.exitProfiles();
        if (profiles.isEmpty() || profiles.get(0) == null || profiles.get(0).reached() == 0) {
            return null;
        }
        double disagreeing = 0;
        for (int s = 0; s < profiles.size() - 1; s++) {
            if (profiles.get(s) == null) {
                return null;
            }
            disagreeing += profiles.get(s).exitedDisagreeing();
        }
        return disagreeing / profiles.get(0).reached();
    }

    /** The stages the control may move: those before the last that can exit. */
    private static List<Double> controlled(CascadeTopology.Aggregation aggregation) {
        return aggregation.lowestExits().stream().map(t -> t != null && t <= 1 ? t : null).toList();
    }

    private double tightestAt() {
        return expected != null ? expected : 1000;
    }

    byte[] encode() {
        EstimateState estimateState = null;
        if (estimate != null) {
            OnlineEstimate.State s = estimate.state();
            estimateState = new EstimateState(s.n(), s.sumP(), s.sumBernoulli(), nested(s.decisionsPerBin()),
                    nested(s.predictedByStage()), boxed(s.predicted()), s.labelled(), s.correct());
        }
        LagOneAutocorrelation.State a = targetAutocorrelation.state();
        AuditEstimate.State u = audit.state();
        AuditState auditState = new AuditState(u.frames(), u.early(), u.unauditable(), u.audited(), u.sumWeight(), u.disagreementSum(),
                u.disagreementsAudited(), boxed(u.classSum()), boxed(u.predicted()), boxed(u.gainedAudited()), boxed(u.lostAudited()));
        List<DriftStageState> driftState = drift.state().stream().map(d -> new DriftStageState(d.reached(), d.exited(),
                series(d.exitSeries()), d.audited(), d.disagreed(), series(d.disagreementSeries()), d.exitAlarmSince(),
                d.disagreementAlarmSince())).toList();
        ThresholdControlState controlState = null;
        if (thresholds != null) {
            ThresholdControl.State c = thresholds.state();
            controlState = new ThresholdControlState(ThresholdMeasure.valueOf(thresholds.measure().name()), thresholds.budget(), c.frames(), nestedDoubles(c.disagreement()), nestedDoubles(c.variance()),
                    Arrays.stream(c.level()).boxed().toList(), boxed(c.changes()), List.copyOf(thresholdChanges));
        }
        QueryAggregateState state = new QueryAggregateState(expected, targetClass, live, command, finalState, seen, nothingInView,
                nothingInViewLabelled, firstDecidedMillis,
                lastDecidedMillis, boxed(framesIn), boxed(decided), boxed(inferenceMicros), series(a), estimateState, auditState,
                driftState, controlState);
        try {
            ByteBuffer buffer = state.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the aggregate of a query", e);
        }
    }

    /**
     * Decodes a stored aggregate of query {@code queryId}.
     *
     * @throws IllegalStateException naming the query and what to do when the value is not this
     *                               format (e.g. the JSON that Sieve kept before) or does not fit the cascade
     */
    static QueryAggregate decode(String queryId, byte[] bytes, CascadeTopology.Aggregation aggregation, int stages, int classes) {
        List<StageCalibration> calibration = aggregation.calibration();
        List<ExitProfile> profiles = aggregation.exitProfiles();
        QueryAggregateState state;
        try {
            state = STORED.decode(ByteBuffer.wrap(bytes));
        } catch (BadHeaderException | MissingSchemaException e) {
            throw unreadable(queryId, bytes.length > 0 && bytes[0] == '{'
                    ? "it is in the JSON format of earlier Sieve versions" : "it is not a QueryAggregateState record (" + e.getMessage() + ")");
        } catch (IOException | RuntimeException e) {
            throw unreadable(queryId, "it cannot be decoded (" + e.getMessage() + ")");
        }
        if (state.getFramesIn().size() != stages) {
            throw unreadable(queryId, "it counts " + state.getFramesIn().size() + " stages but the cascade has " + stages);
        }
        OnlineEstimate estimate = null;
        if (!calibration.isEmpty()) {
            EstimateState e = state.getEstimate();
            try {
                estimate = e == null ? new OnlineEstimate(calibration, classes) : OnlineEstimate.restore(calibration, classes,
                        new OnlineEstimate.State(e.getDecisions(), e.getSumP(), e.getSumBernoulli(), unboxedRows(e.getDecisionsPerBin()),
                                unboxedRows(e.getPredictedByStage()), unboxed(e.getPredicted()), e.getLabelled(), e.getCorrect()));
            } catch (IllegalArgumentException mismatch) {
                throw unreadable(queryId, mismatch.getMessage());
            }
        }
        AuditEstimate audit = new AuditEstimate(classes);
        AuditState u = state.getAudit();
        if (u != null) {
            try {
                audit = AuditEstimate.restore(classes, new AuditEstimate.State(u.getFrames(), u.getEarly(), u.getUnauditable(),
                        u.getAudited(), u.getSumWeight(), u.getDisagreementSum(), u.getDisagreementsAudited(), unboxedDoubles(u.getClassSum()),
                        unboxed(u.getPredicted()), unboxed(u.getGainedAudited()), unboxed(u.getLostAudited())));
            } catch (IllegalArgumentException mismatch) {
                throw unreadable(queryId, mismatch.getMessage());
            }
        } else if (state.getFramesSeen() > 0) {
            // Counted before the audit existed: those frames had no chance of an audit, and the estimate says so.
            long seen = state.getFramesSeen();
            audit = AuditEstimate.restore(classes, new AuditEstimate.State(seen, seen, seen, 0, 0, 0, 0, new double[classes],
                    new long[classes], new long[classes], new long[classes]));
        }
        // Counted before drift was checked: the monitor starts from the frames that follow.
        DriftMonitor drift = new DriftMonitor(profiles);
        if (state.getDrift() != null) {
            try {
                drift = DriftMonitor.restore(profiles, state.getDrift().stream().map(d -> new DriftMonitor.StageState(d.getReached(),
                        d.getExited(), series(d.getExitSeries()), d.getAudited(), d.getDisagreed(), series(d.getDisagreementSeries()),
                        d.getExitAlarmSince(), d.getDisagreementAlarmSince())).toList());
            } catch (IllegalArgumentException mismatch) {
                throw unreadable(queryId, mismatch.getMessage());
            }
        }
        QueryAggregate agg = new QueryAggregate(stages, new LagOneAutocorrelation(series(state.getTargetAutocorrelation())), estimate,
                audit, drift);
        agg.expected = state.getExpectedFrames();
        agg.targetClass = state.getTargetClass();
        agg.live = state.getLive();
        agg.command = state.getCommand();
        ThresholdControlState c = state.getThresholdControl();
        if (c != null) {
            if (aggregation.lossBudget() == null) {
                throw unreadable(queryId, "it corrects thresholds against a budget the cascade file does not record");
            }
            try {
                agg.thresholds = ThresholdControl.restore(ThresholdControl.Measure.valueOf(c.getMeasure().name()), c.getTarget(),
                        controlled(aggregation), agg.tightestAt(),
                        new ThresholdControl.State(c.getFrames(), unboxedDoubleRows(c.getDisagreement()), unboxedDoubleRows(c.getVariance()),
                                c.getLevel().stream().mapToInt(Integer::intValue).toArray(), unboxed(c.getChanges())));
            } catch (IllegalArgumentException mismatch) {
                throw unreadable(queryId, mismatch.getMessage());
            }
            agg.thresholdChanges.addAll(c.getHistory());
        }
        agg.finalState = state.getFinalState();
        agg.seen = state.getFramesSeen();
        agg.nothingInView = state.getFramesNothingInView();
        agg.nothingInViewLabelled = state.getNothingInViewLabelled();
        agg.firstDecidedMillis = state.getFirstDecidedMillis();
        agg.lastDecidedMillis = state.getLastDecidedMillis();
        for (int s = 0; s < stages; s++) {
            agg.framesIn[s] = state.getFramesIn().get(s);
            agg.decided[s] = state.getFramesDecided().get(s);
            agg.inferenceMicros[s] = state.getInferenceMicros().get(s);
        }
        return agg;
    }

    /** Takes what a command says of the query. */
    void describe(QueryCommand command) {
        expected = command.getExpectedFrames();
        targetClass = command.getTargetClass();
        live = command.getMode() == QueryMode.LIVE;
        if (command.getAction() == io.sieve.schemas.QueryAction.START) {
            this.command = command;
        }
        precisionRead = false;
    }

    /** The query's precision target; null when it asked for none or its request was refused ({@link #precisionRefusal}). */
    PrecisionTarget precision() {
        if (!precisionRead) {
            precisionRead = true;
            precisionTarget = null;
            precisionRefusal = null;
            if (command != null && (command.getPrecisionShare() != null || command.getPrecisionCount() != null)) {
                try {
                    precisionTarget = new PrecisionTarget(command.getPrecisionShare(), command.getPrecisionCount(),
                            command.getPrecisionLevel(), expected);
                } catch (IllegalArgumentException e) {
                    precisionRefusal = e.getMessage();
                }
            }
        }
        return precisionTarget;
    }

    /** Why the query's precision request was refused, or null. */
    String precisionRefusal() {
        precision();
        return precisionRefusal;
    }

    private static AutocorrelationState series(LagOneAutocorrelation.State a) {
        return new AutocorrelationState(a.pairs(), a.sumX(), a.sumXX(), a.sumXY(), a.previous());
    }

    private static LagOneAutocorrelation.State series(AutocorrelationState a) {
        return new LagOneAutocorrelation.State(a.getPairs(), a.getSumX(), a.getSumXx(), a.getSumXy(), a.getPrevious());
    }

    private static IllegalStateException unreadable(String queryId, String why) {
        return new IllegalStateException("the stored aggregate of query " + queryId + " cannot be read: " + why
                + ". Its state belongs to another Sieve version or cascade: stop the stream app and delete its state "
                + "(`./sieve platform reset`, or the application's folder under sieve.state.dir) to start the aggregation afresh");
    }

    private static List<Long> boxed(long[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    private static List<Double> boxed(double[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    private static double[] unboxedDoubles(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static List<List<Long>> nested(long[][] values) {
        return Arrays.stream(values).map(QueryAggregate::boxed).toList();
    }

    private static long[] unboxed(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static List<List<Double>> nestedDoubles(double[][] values) {
        return Arrays.stream(values).map(QueryAggregate::boxed).toList();
    }

    private static double[][] unboxedDoubleRows(List<List<Double>> values) {
        return values.stream().map(QueryAggregate::unboxedDoubles).toArray(double[][]::new);
    }

    private static long[][] unboxedRows(List<List<Long>> values) {
        return values.stream().map(QueryAggregate::unboxed).toArray(long[][]::new);
    }
}

package io.sieve.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sieve.cascade.definition.ExitProfile;
import io.sieve.cascade.estimate.AuditEstimate;
import io.sieve.cascade.estimate.DriftMonitor;
import io.sieve.cascade.estimate.Interval;
import io.sieve.cascade.estimate.OnlineEstimate;
import io.sieve.cascade.estimate.PrecisionTarget;
import io.sieve.cascade.estimate.ThresholdControl;
import io.sieve.cascade.estimate.StageCalibration;
import io.sieve.schemas.AuditProgress;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.DriftCheck;
import io.sieve.schemas.DriftMeasure;
import io.sieve.schemas.PrecisionProgress;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import io.sieve.schemas.StageProgress;
import io.sieve.schemas.StageResult;
import io.sieve.schemas.StageThreshold;
import io.sieve.schemas.ThresholdChange;
import io.sieve.schemas.ThresholdProgress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps every query's running answer in a state store and publishes it to the progress topic.
 * Its input, keyed and partitioned by query id, holds both the query's commands and its
 * predictions. Progress goes out at a fixed interval while it changes, at once when the last
 * expected frame arrives (DONE), at once on an abort command (ABORTED, with the estimates at
 * that moment), and at once when a query that asked for a precision reaches it (DONE_AT_PRECISION);
 * then it also sends the query a STOP command, which stops its producer and the stages as an abort
 * does. A final query ignores late predictions, so its last record stays its answer.
 */
final class QueryAggregator extends ContextualProcessor<String, SpecificRecord, String, SpecificRecord> {
    private final String aggregatesStore;
    private final CascadeTopology.Aggregation aggregation;
    private final MeterRegistry meters;
    private final List<String> classNames;
    private final List<String> stageModels;
    private final Duration interval;
    private final Clock clock;
    private KeyValueStore<String, byte[]> aggregates;
    /**
     * The running queries of this task, live: the store (written through on every record, so that a
     * commit always covers what was counted) stays the source of truth, and this map spares decoding
     * the aggregate again for every prediction, and the periodic progress a scan over every query
     * ever aggregated (finished ones stay in the store). Loaded from the store when the task starts.
     */
    private final Map<String, QueryAggregate> running = new HashMap<>();
    /** Running queries whose progress changed since it was last published. */
    private final Set<String> changed = new LinkedHashSet<>();

    QueryAggregator(String aggregatesStore, CascadeTopology.Aggregation aggregation, List<String> classNames, List<String> stageModels,
                    MeterRegistry meters, Clock clock) {
        this.aggregatesStore = aggregatesStore;
        this.aggregation = aggregation;
        this.meters = meters;
        this.classNames = classNames;
        this.stageModels = stageModels;
        this.interval = aggregation.interval();
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        super.init(context);
        aggregates = context.getStateStore(aggregatesStore);
        try (KeyValueIterator<String, byte[]> it = aggregates.all()) {
            it.forEachRemaining(kv -> {
                QueryAggregate agg = decode(kv.key, kv.value);
                if (agg.finalState == null) {
                    running.put(kv.key, agg);
                    // Progress once after a restart, so that followers see where each running query stands.
                    changed.add(kv.key);
                }
            });
        }
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, t -> emitChanged());
    }

    private QueryAggregate decode(String queryId, byte[] stored) {
        return QueryAggregate.decode(queryId, stored, aggregation, stageModels.size(), classNames.size());
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        String queryId = record.key();
        if (queryId == null || record.value() == null) {
            // A deleted command (tombstone) starts nothing, and a record without a query id belongs to none.
            return;
        }
        QueryAggregate agg = running.get(queryId);
        if (agg == null) {
            byte[] stored = aggregates.get(queryId);
            agg = stored == null ? QueryAggregate.empty(aggregation, stageModels.size(), classNames.size()) : decode(queryId, stored);
            if (agg.finalState != null) {
                return;
            }
            running.put(queryId, agg);
        }
        if (record.value() instanceof QueryCommand command) {
            agg.describe(command);
            if (command.getAction() != QueryAction.START) {
                // Only this aggregator stops a query at its precision, after checking it; a STOP from elsewhere is an abort.
                finish(queryId, agg, QueryState.ABORTED);
                return;
            }
        } else if (record.value() instanceof Prediction p) {
            count(agg, p);
            if (precisionReached(agg)) {
                finish(queryId, agg, QueryState.DONE_AT_PRECISION);
                context().forward(new Record<>(queryId, stopCommand(agg), clock.millis()));
                return;
            }
        }
        if (agg.expected != null && agg.seen >= agg.expected) {
            finish(queryId, agg, QueryState.DONE);
            return;
        }
        changed.add(queryId);
        aggregates.put(queryId, agg.encode());
    }

    private void count(QueryAggregate agg, Prediction p) {
        long now = clock.millis();
        if (agg.seen == 0) {
            agg.firstDecidedMillis = now;
        }
        agg.lastDecidedMillis = now;
        agg.seen++;
        if (p.getDecidingStage() == StageProcessor.NOTHING_IN_VIEW_STAGE) {
            // No class to count or to be right about, and no model ran: such frames say nothing of accuracy or drift.
            agg.nothingInView++;
            agg.nothingInViewLabelled += p.getTrueLabel() != null ? 1 : 0;
            return;
        }
        for (StageResult s : p.getStages()) {
            if (s.getStage() >= 0 && s.getStage() < agg.framesIn.length) {
                agg.framesIn[s.getStage()]++;
                agg.inferenceMicros[s.getStage()] += s.getInferenceMicros();
                agg.drift.reached(s.getStage(), s.getStage() == p.getDecidingStage());
            }
        }
        if (p.getDecidingStage() >= 0 && p.getDecidingStage() < agg.decided.length) {
            agg.decided[p.getDecidingStage()]++;
        }
        if (agg.estimate != null && p.getDecidingStage() >= 0) {
            agg.estimate.add(p.getDecidingStage(), p.getConfidence(), p.getLabel(), p.getTrueLabel());
        }
        if (p.getLabel() >= 0 && p.getLabel() < classNames.size()) {
            boolean early = p.getDecidingStage() != stageModels.size() - 1;
            StageResult audit = p.getAudit();
            Integer lastLabel = !early ? Integer.valueOf(p.getLabel())
                    : audit != null && audit.getLabel() >= 0 && audit.getLabel() < classNames.size() ? Integer.valueOf(audit.getLabel()) : null;
            agg.audit.add(p.getLabel(), early, p.getAuditRate(), lastLabel);
            if (early && audit != null && lastLabel != null) {
                agg.drift.audited(p.getDecidingStage(), lastLabel != p.getLabel());
            }
        }
        int target = agg.targetClass == null ? -1 : classNames.indexOf(agg.targetClass);
        // The estimates count decisions (a difference filter's follower repeats one), so their correlation is among decisions.
        if (target >= 0 && p.getDecidingStage() >= 0) {
            agg.targetAutocorrelation.observe(p.getLabel() == target ? 1 : 0);
        }
        ThresholdControl control = agg.thresholdControl(aggregation, p.getTrueLabel() != null);
        if (control != null) {
            observeThresholds(control, p);
        }
    }

    /** What a prediction tells the self-correcting thresholds: each stage's verdict, and the last stage's label where known. */
    private void observeThresholds(ThresholdControl control, Prediction p) {
        int last = stageModels.size() - 1;
        if (p.getDecidingStage() < 0 || p.getLabel() < 0) {
            // A follower of the difference filter ran no model: nothing to learn of the thresholds.
            control.observe(List.of(), null, 0, null);
            return;
        }
        List<ThresholdControl.Verdict> verdicts = new ArrayList<>();
        for (StageResult s : p.getStages()) {
            if (s.getStage() >= 0 && s.getStage() < last) {
                verdicts.add(new ThresholdControl.Verdict(s.getStage(), s.getConfidence(), s.getLabel()));
            }
        }
        if (p.getDecidingStage() == last) {
            control.observe(verdicts, p.getLabel(), 1, p.getTrueLabel());
        } else {
            StageResult audit = p.getAudit();
            control.observe(verdicts, audit == null || audit.getLabel() < 0 ? null : Integer.valueOf(audit.getLabel()), p.getAuditRate(),
                    p.getTrueLabel());
        }
    }

    /**
     * Whether the query asked for a precision and its intervals in scope are now that narrow. Not
     * where the drift alarm is raised: those intervals rest on calibration tables that do not
     * describe the stream, so the query goes on (its progress says why).
     */
    private boolean precisionReached(QueryAggregate agg) {
        PrecisionTarget target = agg.precision();
        if (target == null || agg.estimate == null || agg.estimate.decisions() < PrecisionTarget.MIN_DECISIONS) {
            return false;
        }
        if (!target.check(intervalsInScope(agg, target), population(agg), agg.estimate.decisions()).reached()) {
            return false;
        }
        // The alarm is otherwise checked with each progress record; stopping must not run ahead of it.
        return !agg.drift.canCheck() || checkDrift(agg).stream().noneMatch(DriftMonitor.Check::alarm);
    }

    /** The class counts a precision request speaks of: the target class's, or every class's. */
    private List<Interval> intervalsInScope(QueryAggregate agg, PrecisionTarget target) {
        double designEffect = designEffect(agg);
        double z = target.multiplier(agg.estimate.decisions(), designEffect);
        int targetClass = agg.targetClass == null ? -1 : classNames.indexOf(agg.targetClass);
        List<Interval> counts = new ArrayList<>();
        for (int k = 0; k < classNames.size(); k++) {
            if (targetClass < 0 || k == targetClass) {
                counts.add(agg.estimate.classCount(k, population(agg), z, designEffect));
            }
        }
        return counts;
    }

    /** The frames the query's class counts are about: all it expects, or those seen so far, less those with nothing in view. */
    private static long population(QueryAggregate agg) {
        return (agg.expected != null ? Math.max(agg.expected, agg.seen) : agg.seen) - agg.nothingInView;
    }

    private static double designEffect(QueryAggregate agg) {
        return agg.live ? agg.targetAutocorrelation.designEffect() : 1;
    }

    /** The command that stops the query's producer and stages, as an abort would. */
    private QueryCommand stopCommand(QueryAggregate agg) {
        return startedAs(agg).setAction(QueryAction.STOP).setIssuedTime(clock.instant()).build();
    }

    /**
     * The query's start command as it came, for the aggregator's own commands to carry on; there is
     * one, as only a start command asks for a precision or lets thresholds be corrected.
     */
    private static QueryCommand.Builder startedAs(QueryAggregate agg) {
        return QueryCommand.newBuilder(agg.command);
    }

    private void finish(String queryId, QueryAggregate agg, QueryState state) {
        agg.finalState = state;
        running.remove(queryId);
        changed.remove(queryId);
        emit(queryId, agg);
        aggregates.put(queryId, agg.encode());
    }

    private void emitChanged() {
        for (String queryId : changed) {
            QueryAggregate agg = running.get(queryId);
            if (agg == null) {
                continue;
            }
            boolean moved = correctThresholds(queryId, agg);
            if (emit(queryId, agg) || moved) {
                // A drift alarm raised or a threshold moved: the stored aggregate must keep it.
                aggregates.put(queryId, agg.encode());
            }
        }
        changed.clear();
    }

    /**
     * Lets the query's self-correcting thresholds decide again; where they move, records the change,
     * counts it, and sends the query's command with its new thresholds to the stages. True on a change.
     */
    private boolean correctThresholds(String queryId, QueryAggregate agg) {
        ThresholdControl control = agg.thresholds;
        if (control == null) {
            return false;
        }
        List<ThresholdControl.Change> changes = control.decide();
        if (changes.isEmpty()) {
            return false;
        }
        for (ThresholdControl.Change c : changes) {
            agg.thresholdChanges.add(new ThresholdChange(c.stage(), finite(c.from()), finite(c.to()), agg.seen, c.lossBefore().estimate(),
                    c.lossBefore().low(), c.lossBefore().high()));
            Counter.builder("sieve.query.threshold.changes").description("exit thresholds moved by self-correction to keep a query's budget")
                    .tags("stage", Integer.toString(c.stage()), "model", stageModels.get(c.stage()), "direction",
                            c.to() > c.from() ? "raised" : "lowered")
                    .register(meters).increment();
        }
        List<Double> thresholds = new ArrayList<>();
        for (int s = 0; s < stageModels.size(); s++) {
            double t = control.threshold(s);
            thresholds.add(Double.isNaN(t) || t == control.calibrated(s) ? null : t);
        }
        context().forward(new Record<>(queryId, startedAs(agg).setStageThresholds(thresholds).setIssuedTime(clock.instant())
                .build(), clock.millis()));
        return true;
    }

    /** A threshold for a record: null for "exits nothing". */
    private static Double finite(double threshold) {
        return Double.isInfinite(threshold) ? null : threshold;
    }

    /** Publishes the query's progress; true when that raised a drift alarm. */
    private boolean emit(String queryId, QueryAggregate agg) {
        Instant now = clock.instant();
        double seconds = Math.max(1e-3, (agg.lastDecidedMillis - agg.firstDecidedMillis) / 1000.0);
        double fps = agg.seen < 2 ? 0 : agg.seen / seconds;
        List<StageProgress> stages = new ArrayList<>();
        for (int s = 0; s < stageModels.size(); s++) {
            stages.add(new StageProgress(s, stageModels.get(s), agg.framesIn[s], agg.decided[s],
                    agg.framesIn[s] == 0 ? 0 : agg.inferenceMicros[s] / agg.framesIn[s]));
        }
        Progress.Builder progress = Progress.newBuilder()
                .setQueryId(queryId)
                .setState(agg.finalState == null ? QueryState.RUNNING : agg.finalState)
                .setFramesExpected(agg.expected)
                .setFramesSeen(agg.seen)
                .setFramesDecided(agg.seen)
                .setFramesNothingInView(agg.nothingInView)
                .setNothingInViewLabelled(agg.nothingInViewLabelled)
                .setStages(stages)
                .setThroughputFps(fps)
                .setEtaSeconds(agg.expected != null && fps > 0 && agg.finalState == null ? Math.max(0, agg.expected - agg.seen) / fps : null)
                .setTargetClass(agg.targetClass)
                .setEmittedTime(now);
        PrecisionTarget precision = agg.precision();
        OnlineEstimate estimate = agg.estimate;
        double designEffect = designEffect(agg);
        // A precision query may stop at any frame: all its intervals are confidence sequences, valid whenever it stops.
        double z = precision == null ? Interval.Z95
                : precision.multiplier(estimate == null ? agg.seen : estimate.decisions(), designEffect);
        AuditEstimate audit = agg.audit;
        // A live query's audit speaks of the frames seen so far (only its coins are random), a replay's of all its frames.
        boolean ofSeenFrames = agg.live || agg.expected == null;
        // Frames with nothing in view are no part of it: the audit counts the others, as the estimates do.
        long auditPopulation = ofSeenFrames ? agg.seen - agg.nothingInView : population(agg);
        boolean audited = audit.frames() > 0 && audit.valid();
        if (audit.frames() > 0) {
            AuditProgress.Builder report = AuditProgress.newBuilder()
                    .setEarlyDecided(audit.earlyDecided())
                    .setAudited(audit.audited())
                    .setDisagreements(audit.disagreementsAudited())
                    .setScope(ofSeenFrames ? "frames seen so far" : "all " + auditPopulation + " frames of the query");
            if (audited) {
                Interval disagreement = audit.disagreement(auditPopulation, z);
                report.setDisagreement(disagreement.estimate()).setDisagreementLow(disagreement.low()).setDisagreementHigh(disagreement.high());
            } else {
                report.setNote(audit.unauditable() + " of " + audit.earlyDecided() + " frames decided before the last stage could not be "
                        + "audited (audit rate 0, or the last stage failed on them): Sieve cannot tell how often the last stage would "
                        + "have answered otherwise");
            }
            progress.setAudit(report.build());
        }
        if (estimate != null && estimate.decisions() > 0) {
            Interval accuracy = estimate.accuracy(z, designEffect);
            progress.setEstimatedAccuracy(accuracy.estimate()).setAccuracyLow(accuracy.low()).setAccuracyHigh(accuracy.high())
                    .setTrueAccuracy(estimate.trueAccuracy());
            long population = population(agg);
            List<ClassEstimate> classes = new ArrayList<>();
            for (int k = 0; k < classNames.size(); k++) {
                Interval count = estimate.classCount(k, population, z, designEffect);
                ClassEstimate.Builder c = ClassEstimate.newBuilder().setLabel(k).setName(classNames.get(k)).setPredicted(estimate.predicted(k))
                        .setEstimate(count.estimate()).setLow(count.low()).setHigh(count.high());
                if (audited) {
                    Interval byLastStage = audit.classCount(k, auditPopulation, z);
                    c.setAuditedEstimate(byLastStage.estimate()).setAuditedLow(byLastStage.low()).setAuditedHigh(byLastStage.high());
                }
                classes.add(c.build());
            }
            progress.setClasses(classes);
        }
        boolean raised = drift(agg, progress);
        progress.setThresholds(thresholds(agg));
        if (agg.precision() != null || agg.precisionRefusal() != null) {
            progress.setPrecision(precision(agg));
        }
        context().forward(new Record<>(queryId, progress.build(), now.toEpochMilli()));
        return raised;
    }

    /** What the self-correcting thresholds say, or null for a cascade without a loss budget. */
    private ThresholdProgress thresholds(QueryAggregate agg) {
        if (aggregation.lossBudget() == null) {
            return null;
        }
        ThresholdProgress.Builder report = ThresholdProgress.newBuilder().setBudget(aggregation.lossBudget())
                .setChanges(List.copyOf(agg.thresholdChanges));
        ThresholdControl control = agg.thresholds;
        List<StageThreshold> stages = new ArrayList<>();
        for (int s = 0; s < stageModels.size() - 1; s++) {
            Double calibrated = aggregation.lowestExits().size() > s ? aggregation.lowestExits().get(s) : null;
            if (calibrated == null || calibrated > 1) {
                continue;
            }
            double current = control == null ? calibrated : control.threshold(s);
            stages.add(new StageThreshold(s, stageModels.get(s), calibrated, finite(current), control == null ? 0 : control.changes(s)));
        }
        report.setStages(stages);
        String refusal = agg.thresholdControlRefusal(aggregation);
        if (refusal != null) {
            return report.setNote(refusal).build();
        }
        if (control == null) {
            return report.setNote(agg.seen == 0 ? null : "these frames carry no labels and the cascade file has no exit profiles, so "
                    + "there is no target for the disagreement with the last stage (`./sieve profile --cascade FILE` measures them)").build();
        }
        report.setMeasure(control.measure() == ThresholdControl.Measure.ACCURACY_LOSS ? "accuracy loss" : "disagreement with the last stage")
                .setTarget(control.budget());
        if (agg.seen < ThresholdControl.MIN_FRAMES) {
            report.setNote("thresholds are corrected from " + ThresholdControl.MIN_FRAMES + " frames on");
        }
        Interval loss = control.currentLoss();
        if (!Double.isNaN(loss.estimate())) {
            report.setLoss(loss.estimate()).setLossLow(loss.low()).setLossHigh(loss.high());
        }
        return report.build();
    }

    /** What a precision query asked and how far it has come. */
    private PrecisionProgress precision(QueryAggregate agg) {
        PrecisionProgress.Builder report = PrecisionProgress.newBuilder().setLevel(agg.command.getPrecisionLevel())
                .setRequestedShare(agg.command.getPrecisionShare()).setRequestedCount(agg.command.getPrecisionCount())
                .setScope(agg.targetClass == null ? "every class's count" : "the count of " + agg.targetClass).setReached(false);
        PrecisionTarget target = agg.precision();
        if (target == null) {
            return report.setNote("precision request refused, the query runs to its end: " + agg.precisionRefusal()).build();
        }
        if (agg.estimate == null) {
            return report.setNote("the cascade has no calibration tables, so there are no intervals to make precise: the query runs to its end")
                    .build();
        }
        if (agg.estimate.decisions() == 0) {
            return report.build();
        }
        PrecisionTarget.Status status = target.check(intervalsInScope(agg, target), population(agg), agg.estimate.decisions());
        report.setHalfWidth(status.halfWidth()).setShareHalfWidth(status.shareHalfWidth()).setReached(status.reached());
        if (status.reached() && agg.drift.alarmRaised()) {
            report.setNote("narrow enough, but the drift alarm is raised: these intervals rest on calibration tables that do not "
                    + "describe this stream, so the query does not stop at its precision");
        } else if (agg.estimate.decisions() < PrecisionTarget.MIN_DECISIONS) {
            report.setNote("a query stops at its precision after " + PrecisionTarget.MIN_DECISIONS + " frames at the earliest");
        }
        return report.build();
    }

    /** Runs the drift tests, counting newly raised alarms in the metric. */
    private List<DriftMonitor.Check> checkDrift(QueryAggregate agg) {
        List<DriftMonitor.Check> checks = agg.drift.check(agg.live, agg.seen);
        for (DriftMonitor.Check c : checks) {
            if (c.raisedNow()) {
                Counter.builder("sieve.query.drift.alarms").description("drift alarms raised: a stream departing from the calibration frames")
                        .tags("stage", Integer.toString(c.stage()), "model", stageModels.get(c.stage()), "measure",
                                c.measure().name().toLowerCase(java.util.Locale.ROOT))
                        .register(meters).increment();
            }
        }
        return checks;
    }

    /**
     * Runs the drift tests into the progress record, counting newly raised alarms in the metric;
     * true when one was raised now.
     */
    private boolean drift(QueryAggregate agg, Progress.Builder progress) {
        if (!agg.drift.canCheck()) {
            progress.setDriftNote("drift is not checked: the cascade file has no exit profiles (written by hand or by an earlier Sieve); "
                    + "`./sieve profile --cascade FILE` measures them on its calibration data");
            return false;
        }
        boolean raised = false;
        List<DriftCheck> checks = new ArrayList<>();
        List<String> alarms = new ArrayList<>();
        for (DriftMonitor.Check c : checkDrift(agg)) {
            String model = stageModels.get(c.stage());
            checks.add(DriftCheck.newBuilder().setStage(c.stage()).setModel(model).setMeasure(DriftMeasure.valueOf(c.measure().name()))
                    .setExpected(c.expected()).setExpectedLow(c.expectedLow()).setExpectedHigh(c.expectedHigh()).setFrames(c.frames())
                    .setObserved(c.frames() == 0 ? null : c.observed()).setEffectiveFrames(c.effectiveFrames()).setEvidence(c.evidence())
                    .setThreshold(c.threshold()).setAlarm(c.alarm()).setAlarmSinceFrames(c.alarm() ? c.alarmSinceFrames() : null).build());
            if (c.alarm()) {
                alarms.add(c.describe(model));
            }
            raised |= c.raisedNow();
        }
        progress.setDrift(checks);
        if (!alarms.isEmpty()) {
            progress.setDriftWarning("This stream departs from the calibration frames (" + String.join("; ", alarms) + "): the calibration "
                    + "tables do not describe it, so the budget and the estimated accuracy and class counts built on them do not hold here; "
                    + "the audit's figures still do.");
        }
        return raised;
    }
}

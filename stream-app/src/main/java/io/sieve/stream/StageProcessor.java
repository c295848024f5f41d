package io.sieve.stream;

import io.sieve.client.QueryClient;
import io.sieve.client.FramePixels;
import io.sieve.images.DataException;
import io.sieve.images.Image;
import io.sieve.cascade.runtime.AuditCoin;
import io.sieve.cascade.runtime.CascadeRouter;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.StageResult;
import io.sieve.serde.RecordLimits;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.sieve.cascade.filter.CameraFilters;
import io.sieve.cascade.filter.DifferenceFilter;
import io.sieve.cascade.filter.SceneBackground;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import io.sieve.schemas.QueryAction;
import io.sieve.serde.SchemaRegistryException;
import org.apache.kafka.streams.errors.StreamsException;
import io.sieve.schemas.QueryCommand;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consecutive cascade stages that one instance runs, fused: decodes a batch of frames, runs the
 * first stage's model on all of them in one call, the next stage's on those it is unsure of, and so
 * on, and routes each frame: decided -> a prediction; unsure after the last fused stage -> the next
 * stage's topic, carrying every result so far; unusable -> a dead letter with the reason and the
 * record's source topic, partition and offset. Fusing spares the frames a Kafka hop (serde, a
 * broker round trip, a transaction commit) between stages of the same instance, which costs more
 * per frame than a cheap model; topics between stages remain where stages scale apart. Each model
 * batch is a subset of the record's frames, so nothing is buffered across records and exactly-once
 * needs no extra state.
 *
 * <p>The live audit: a frame an early stage decides may be picked (a seeded coin per frame, at the
 * query's or the cascade's rate) to be labelled by the last stage too. Its answer stays the early
 * stage's; it joins the last stage's batch when that stage runs here, and otherwise travels on to
 * the last stage's topic with its deciding result in its trail and its chance of being picked, and
 * only then becomes a prediction, with the last stage's result beside the answer.
 *
 * <p>Nothing in view: at the first stage, a camera that learns its background ({@link CameraFilters})
 * has each scene the difference filter starts compared with it; a frame that shows the background,
 * and its followers, become predictions at once, with no model run, marked
 * {@link #NOTHING_IN_VIEW_STAGE}, and the aggregator leaves them out of class counts and accuracy.
 *
 * <p>Under exactly-once a prediction becomes visible when its transaction commits, so while the
 * stages keep up with live frames the commit interval is most of the latency; but each commit
 * blocks the stream thread for broker round trips, which costs throughput while there is a backlog.
 * So the processor asks for an early commit (at most once per {@code eagerCommit}) only after a
 * fresh record, one written less than {@link #CAUGHT_UP_MILLIS} ago; working through older records,
 * it leaves commits to {@code commit.interval.ms}.
 */
final class StageProcessor extends ContextualProcessor<String, byte[], String, Routed> {
    private static final Logger LOG = LoggerFactory.getLogger(StageProcessor.class);
    /** The stage number and model name predictions decided by the difference filter carry. */
    static final int FILTER_STAGE = -1;
    static final String FILTER_MODEL = "difference-filter";
    /** The stage number, model name and label of a frame that showed its camera's background. */
    static final int NOTHING_IN_VIEW_STAGE = -2;
    static final String BACKGROUND_MODEL = "background";
    static final int NOTHING_IN_VIEW_LABEL = -1;
    static final String NOTHING_IN_VIEW_NAME = "nothing in view";
    private static final StageResult NOTHING_IN_VIEW = new StageResult(NOTHING_IN_VIEW_STAGE, BACKGROUND_MODEL, NOTHING_IN_VIEW_LABEL,
            1f, 0L, true);
    /** A record younger than this means the stages keep up with its producer. */
    static final long CAUGHT_UP_MILLIS = 50;

    private final List<CascadeStage> stages;
    private final Deserializer<FrameBatch> decoder;
    private final List<StageMetrics> metrics;
    private final Clock clock;
    private final List<String> classNames;
    private final String queryStatesStore;
    private final CameraFilters filters;
    private final long eagerCommitMillis;
    private final double auditRate;
    private final FilterMemory memory = new FilterMemory();
    private long lastEagerCommitMillis = Long.MIN_VALUE / 2;
    private TimestampedKeyValueStore<String, QueryCommand> queryStates;

    /**
     * @param stages    consecutive stages of the cascade, cheapest first, with one metrics object each
     * @param auditRate the share of early-decided frames the last stage labels too, unless a query asks for another
     */
    StageProcessor(List<CascadeStage> stages, Deserializer<FrameBatch> decoder, List<StageMetrics> metrics, Clock clock,
                   String queryStatesStore, CameraFilters filters, Duration eagerCommit, double auditRate) {
        if (stages.isEmpty() || stages.size() != metrics.size()) {
            throw new IllegalArgumentException("one metrics object per stage needed, got " + stages.size() + " stages and "
                    + metrics.size() + " metrics");
        }
        this.stages = List.copyOf(stages);
        this.decoder = decoder;
        this.metrics = List.copyOf(metrics);
        this.clock = clock;
        this.classNames = stages.get(stages.size() - 1).model().card().classes();
        this.queryStatesStore = queryStatesStore;
        this.filters = filters;
        this.eagerCommitMillis = eagerCommit.toMillis();
        this.auditRate = auditRate;
    }

    /** Whether to commit now, after a record {@code ageMillis} old, {@code sinceLastMillis} after the last early commit. */
    static boolean eagerCommitDue(long ageMillis, long sinceLastMillis, long eagerCommitMillis) {
        return eagerCommitMillis > 0 && ageMillis < CAUGHT_UP_MILLIS && sinceLastMillis >= eagerCommitMillis;
    }

    @Override
    public void init(ProcessorContext<String, Routed> context) {
        super.init(context);
        queryStates = context.getStateStore(queryStatesStore);
    }

    private QueryCommand queryOf(Frame frame) {
        if (frame.getQueryId() == null) {
            return null;
        }
        ValueAndTimestamp<QueryCommand> state = queryStates.get(frame.getQueryId());
        return state == null ? null : state.value();
    }

    /** The chance a frame decided here before the last stage has of being audited: its query's rate, or the cascade's. */
    private double auditRateOf(QueryCommand query) {
        return query != null && query.getAuditRate() != null ? query.getAuditRate() : auditRate;
    }

    /** A frame an earlier instance decided and picked for the audit: its trail holds the result that exited. */
    private static StageResult decidedBefore(Frame frame) {
        for (StageResult result : frame.getEarlierStages()) {
            if (result.getExited()) {
                return result;
            }
        }
        return null;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        route(record);
        long now = clock.millis();
        if (eagerCommitDue(now - record.timestamp(), now - lastEagerCommitMillis, eagerCommitMillis)) {
            lastEagerCommitMillis = now;
            context().commit();
        }
    }

    private void route(Record<String, byte[]> record) {
        RecordMetadata source = context().recordMetadata().orElseThrow();
        int firstStage = stages.get(0).index();
        FrameBatch batch;
        try {
            batch = decoder.deserialize(source.topic(), record.value());
            if (batch == null) {
                throw new IllegalArgumentException("null value: a frame batch was expected");
            }
        } catch (SchemaRegistryException e) {
            if (e.registryUnavailable()) {
                // An outage is no fault of the record: stop (and restart later) rather than dead-letter good frames.
                throw new StreamsException("schema registry unavailable while decoding " + source.topic() + "-" + source.partition()
                        + "@" + source.offset() + ": " + e.getMessage(), e);
            }
            reject(record, source, Rejection.ofRecord(firstStage, "unknown schema", "undecodable record: " + e.getMessage(), record.value()));
            return;
        } catch (RuntimeException e) {
            reject(record, source, Rejection.ofRecord(firstStage, "undecodable", "undecodable record: " + e.getMessage(), record.value()));
            return;
        }
        if (batch.getFrames().isEmpty()) {
            reject(record, source, Rejection.ofRecord(firstStage, "empty batch",
                    "batch of camera " + batch.getCameraId() + " holds no frames", record.value()));
            return;
        }
        List<Frame> frames = new ArrayList<>(batch.getFrames().size());
        List<Image> images = new ArrayList<>(batch.getFrames().size());
        List<QueryCommand> queries = new ArrayList<>(batch.getFrames().size());
        boolean lastStageHere = stages.get(stages.size() - 1).isLast();
        boolean earlyStageHere = !stages.get(0).isLast();
        for (Frame frame : batch.getFrames()) {
            QueryCommand query = queryOf(frame);
            if (query != null && query.getAction() != QueryAction.START) {
                // Frames of an aborted query (or one stopped at its precision) are dropped before any model time is spent on them.
                metrics.get(0).skippedAborted();
                continue;
            }
            Image image = null;
            String problem;
            if (frame.getQueryId() != null && !QueryClient.isValidName(frame.getQueryId())) {
                // No command could ever name (or abort) such a query: its frames would count forever under it.
                problem = "query id '" + frame.getQueryId() + "' is not a valid query id (1-64 letters, digits, '.', '_' or '-')";
            } else {
                try {
                    image = FramePixels.image(frame);
                    problem = mismatch(image);
                } catch (DataException e) {
                    problem = "undecodable " + frame.getEncoding() + " frame: " + e.getMessage();
                }
            }
            if (problem != null) {
                reject(record, source, Rejection.ofFrame(firstStage, "invalid frame",
                        "frame " + frame.getCameraId() + "/" + frame.getSequence() + ": " + problem, frame));
                continue;
            }
            frames.add(frame);
            images.add(image);
            queries.add(query);
        }
        if (frames.isEmpty()) {
            return;
        }
        int n = frames.size();
        // A frame an earlier instance decided (and picked for the audit) only wants the last stage's label.
        StageResult[] decidedEarlier = new StageResult[n];
        for (int i = 0; i < n; i++) {
            decidedEarlier[i] = decidedBefore(frames.get(i));
        }
        String camera = batch.getCameraId();
        DifferenceFilter filter = filters.filterFor(camera);
        boolean filterHere = firstStage == 0 && filter.enabled();
        FilterMemory.Reference carried = memory.before(camera, frames.get(0).getSequence());
        int[] references = references(filter, frames, images, decidedEarlier, filterHere, carried);
        boolean[] empty = filterHere && filters.learnsBackground(camera)
                ? nothingInView(memory.background(camera, filter.threshold()), frames, images, references, carried) : new boolean[n];
        boolean[] done = new boolean[n];
        int lastEmptyReference = -1;
        int emptyFrames = 0;
        for (int i = 0; i < n; i++) {
            if (empty[i]) {
                decided(record, frames.get(i), NOTHING_IN_VIEW, trailOf(frames.get(i), NOTHING_IN_VIEW, List.of()), 0, null);
                done[i] = true;
                emptyFrames++;
                lastEmptyReference = references[i] == i ? i : lastEmptyReference;
            }
        }
        metrics.get(0).nothingInView(emptyFrames);
        List<Frame> unsure = new ArrayList<>();
        // A frame that follows the camera's reference from an earlier record takes its result where this stage knows it,
        // and otherwise goes on, without running a model, to the stage that decides the reference.
        StageResult[] carriedResult = new StageResult[n];
        int carriedFollowers = 0;
        for (int i = 0; i < n; i++) {
            if (references[i] == DifferenceFilter.FOLLOWS_CARRIED && !empty[i]) {
                StageResult reference = carried.decision();
                if (reference == null) {
                    unsure.add(Frame.newBuilder(frames.get(i)).setFollows(carried.sequence()).build());
                    done[i] = true;
                } else {
                    carriedResult[i] = new StageResult(FILTER_STAGE, FILTER_MODEL, reference.getLabel(), reference.getConfidence(), 0L, true);
                    carriedFollowers++;
                }
            }
        }
        metrics.get(0).reused(carriedFollowers);
        CascadeRouter.FrameTask[] tasks = new CascadeRouter.FrameTask[n];
        double[] auditRates = new double[n];
        for (int i = 0; i < n; i++) {
            Frame frame = frames.get(i);
            QueryCommand query = queries.get(i);
            if (done[i]) {
                continue;
            }
            if (decidedEarlier[i] != null) {
                tasks[i] = CascadeRouter.FrameTask.AUDIT_ONLY;
                auditRates[i] = frame.getAuditRate();
                continue;
            }
            // Only a frame that may be decided before the last stage's own run on it can need an audit: one an early stage
            // here may decide, or a follower, which takes another frame's answer.
            auditRates[i] = earlyStageHere || references[i] != i ? auditRateOf(query) : 0;
            boolean picked = AuditCoin.picked(auditRates[i], query == null ? 0 : query.getSeed(), frame.getQueryId(),
                    frame.getCameraId(), frame.getSequence());
            if (carriedResult[i] != null && !picked) {
                decided(record, frame, carriedResult[i], trailOf(frame, carriedResult[i], List.of()), auditRates[i], null);
                done[i] = true;
            } else if (carriedResult[i] != null) {
                tasks[i] = CascadeRouter.FrameTask.AUDIT_ONLY;
            } else {
                tasks[i] = picked ? CascadeRouter.FrameTask.DECIDE_AND_AUDIT : CascadeRouter.FrameTask.DECIDE;
            }
        }
        int[] routedFrames = java.util.stream.IntStream.range(0, n).filter(i -> !done[i]).toArray();
        CascadeRouter.Routing routing = routedFrames.length == 0 ? null : routeThroughStages(routedFrames, images, references, tasks, queries);
        if (routing != null) {
            for (CascadeRouter.StageRun run : routing.runs()) {
                StageMetrics stageMetrics = metricsOf(run.stage().index());
                stageMetrics.batch(run.frames(), run.exited(), run.audited(), run.microsPerFrame());
                stageMetrics.reused(run.followersDecided());
            }
        }
        // What the camera's next record compares with or follows: the last frame of this one that was its own reference.
        int nextReference = -1;
        StageResult nextDecision = null;
        boolean nextFailed = false;
        for (int r = 0; r < routedFrames.length; r++) {
            int i = routedFrames[r];
            Frame frame = frames.get(i);
            CascadeRouter.FrameRoute route = routing.frames().get(r);
            StageResult deciding = decidedEarlier[i] != null ? decidedEarlier[i] : carriedResult[i];
            List<StageResult> trail = trailOf(frame, carriedResult[i], route.trail());
            boolean ownReference = references[i] == i && deciding == null;
            if (ownReference && (nextReference < 0 || frame.getSequence() > frames.get(nextReference).getSequence())) {
                nextReference = i;
                nextFailed = route.failed();
                nextDecision = route.decided() ? trail.get(trail.size() - 1) : null;
            }
            if (route.failed()) {
                CascadeStage failed = route.failure().stage();
                reject(record, source, Rejection.ofFrame(failed.index(), "model failure", route.failure().reason(), frame));
                continue;
            } else if (route.followed()) {
                StageDecision d = route.decision();
                deciding = new StageResult(FILTER_STAGE, FILTER_MODEL, d.label(), d.confidence(), 0L, true);
                trail.add(deciding);
            } else if (route.decided()) {
                deciding = trail.get(trail.size() - 1);
            } else if (deciding == null) {
                Long follows = references[i] == i ? null : frames.get(references[i]).getSequence();
                unsure.add(Frame.newBuilder(frame).setEarlierStages(trail).setFollows(follows).build());
                continue;
            }
            boolean decidedByLastStage = lastStageHere && deciding.getStage() == stages.get(stages.size() - 1).index();
            double rate = decidedByLastStage ? 0 : auditRates[i];
            switch (route.auditStatus()) {
                case PENDING -> unsure.add(Frame.newBuilder(frame).setEarlierStages(trail).setFollows(null).setAuditRate(rate).build());
                case DONE -> decided(record, frame, deciding, trail, rate, result(route.audit()));
                // The coin picked it but no label came: it counts as a frame the audit could not reach, not as an agreement.
                case FAILED -> decided(record, frame, deciding, trail, 0, null);
                case NONE -> decided(record, frame, deciding, trail, rate, null);
            }
        }
        if (lastEmptyReference >= 0 && (nextReference < 0 || frames.get(lastEmptyReference).getSequence() > frames.get(nextReference).getSequence())) {
            nextReference = lastEmptyReference;
            nextDecision = NOTHING_IN_VIEW;
            nextFailed = false;
        }
        if (nextFailed) {
            memory.forget(camera);
        } else if (nextReference >= 0 && (filterHere || firstStage > 0)) {
            memory.remember(camera, new FilterMemory.Reference(frames.get(nextReference).getSequence(),
                    filterHere ? images.get(nextReference) : null, nextDecision));
        }
        if (routing != null) {
            routing.failure().ifPresent(failure -> LOG.error("stage {} failed on a batch from {}-{}@{}: {}", failure.stage().index(),
                    source.topic(), source.partition(), source.offset(), failure.reason()));
        }
        if (!unsure.isEmpty()) {
            if (stages.get(stages.size() - 1).isLast()) {
                throw new IllegalStateException("the last stage left " + unsure.size() + " frames undecided");
            }
            // Frames grow by their stage results: cut the batch so that every record fits the next topic.
            for (List<Frame> part : RecordLimits.split(unsure)) {
                context().forward(record.withValue(new Routed.Unsure(new FrameBatch(batch.getCameraId(), part))));
            }
        }
    }

    /** Routes the frames at {@code routed} (positions in the record's frames), their references mapped to positions among them. */
    private CascadeRouter.Routing routeThroughStages(int[] routed, List<Image> images, int[] references, CascadeRouter.FrameTask[] tasks,
                                        List<QueryCommand> queries) {
        int[] position = new int[references.length];
        List<Image> routedImages = new ArrayList<>(routed.length);
        List<QueryCommand> routedQueries = new ArrayList<>(routed.length);
        int[] routedReferences = new int[routed.length];
        CascadeRouter.FrameTask[] routedTasks = new CascadeRouter.FrameTask[routed.length];
        for (int r = 0; r < routed.length; r++) {
            int i = routed[r];
            position[i] = r;
            routedImages.add(images.get(i));
            routedQueries.add(queries.get(i));
            routedTasks[r] = tasks[i];
            // A reference always comes before its followers, so its position is known by then; a carried follower here is only audited.
            routedReferences[r] = references[i] >= 0 ? position[references[i]] : r;
        }
        return CascadeRouter.route(stages, routedImages, routedReferences, routedTasks, exitFloors(routedQueries));
    }

    /** What the frame's prediction or next record carries: the results it came with, the carried reference's, then this record's. */
    private static List<StageResult> trailOf(Frame frame, StageResult carriedResult, List<StageDecision> here) {
        List<StageResult> trail = new ArrayList<>(frame.getEarlierStages());
        if (carriedResult != null) {
            trail.add(carriedResult);
        }
        for (StageDecision d : here) {
            trail.add(result(d));
        }
        return trail;
    }

    /** Per frame, the thresholds its query's self-correction raised (null: calibration's), indexed by stage. */
    private static double[][] exitFloors(List<QueryCommand> queries) {
        double[][] floors = new double[queries.size()][];
        Map<QueryCommand, double[]> converted = new java.util.IdentityHashMap<>();
        for (int i = 0; i < queries.size(); i++) {
            QueryCommand query = queries.get(i);
            if (query != null && !query.getStageThresholds().isEmpty()) {
                floors[i] = converted.computeIfAbsent(query, q -> q.getStageThresholds().stream()
                        .mapToDouble(t -> t == null ? Double.NaN : t).toArray());
            }
        }
        return floors;
    }

    /** Why a fused stage's model cannot take this image, or null. */
    private String mismatch(Image image) {
        for (CascadeStage stage : stages) {
            String mismatch = stage.model().mismatch(image);
            if (mismatch != null) {
                return mismatch;
            }
        }
        return null;
    }

    /**
     * Each frame's reference: itself, an earlier frame of the batch, or {@link DifferenceFilter#FOLLOWS_CARRIED}
     * for the camera's reference from an earlier record. Stage 0 with the filter on compares pixels;
     * later stages keep the links frames arrive with, as long as the reference is known here.
     */
    private static int[] references(DifferenceFilter filter, List<Frame> frames, List<Image> images, StageResult[] decidedEarlier,
                                    boolean filterHere, FilterMemory.Reference carried) {
        if (filterHere) {
            return filter.references(images, carried == null ? null : carried.image());
        }
        Map<Long, Integer> position = new HashMap<>();
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).getFollows() == null && decidedEarlier[i] == null) {
                position.put(frames.get(i).getSequence(), i);
            }
        }
        int[] references = new int[frames.size()];
        for (int i = 0; i < frames.size(); i++) {
            Long follows = frames.get(i).getFollows();
            if (follows == null || decidedEarlier[i] != null) {
                references[i] = i;
            } else if (position.containsKey(follows)) {
                references[i] = position.get(follows);
            } else {
                // A reference this stage no longer knows (a restart forgot it): the frame runs the model itself.
                references[i] = carried != null && carried.sequence() == follows ? DifferenceFilter.FOLLOWS_CARRIED : i;
            }
        }
        return references;
    }

    /**
     * Which frames show the camera's background: the references {@code background} recognises (it
     * learns from each, in the camera's order), their followers, and followers of a carried
     * reference that showed it.
     */
    private static boolean[] nothingInView(SceneBackground background, List<Frame> frames, List<Image> images, int[] references,
                                           FilterMemory.Reference carried) {
        boolean carriedEmpty = carried != null && carried.decision() != null && carried.decision().getStage() == NOTHING_IN_VIEW_STAGE;
        boolean[] empty = new boolean[references.length];
        for (int i = 0; i < references.length; i++) {
            int reference = references[i];
            empty[i] = reference == DifferenceFilter.FOLLOWS_CARRIED ? carriedEmpty
                    : reference == i ? background.isBackground(images.get(i), frames.get(i).getSequence()) : empty[reference];
        }
        return empty;
    }

    private StageMetrics metricsOf(int stage) {
        return metrics.get(stage - stages.get(0).index());
    }

    private static StageResult result(StageDecision d) {
        return new StageResult(d.stage(), d.model(), d.label(), d.confidence(), d.micros(), d.exits());
    }

    /** Forwards the frame's prediction: the answer of {@code deciding}, with the audit's result beside it, if any. */
    private void decided(Record<String, byte[]> record, Frame frame, StageResult deciding, List<StageResult> trail, double auditRate,
                         StageResult audit) {
        Prediction prediction = Prediction.newBuilder()
                .setCameraId(frame.getCameraId())
                .setSequence(frame.getSequence())
                .setCaptureTime(frame.getCaptureTime())
                .setQueryId(frame.getQueryId())
                .setQueryPosition(frame.getQueryPosition())
                .setDecidingStage(deciding.getStage())
                .setModel(deciding.getModel())
                .setLabel(deciding.getLabel())
                .setLabelName(deciding.getStage() == NOTHING_IN_VIEW_STAGE ? NOTHING_IN_VIEW_NAME
                        : deciding.getLabel() >= 0 && deciding.getLabel() < classNames.size() ? classNames.get(deciding.getLabel()) : "")
                .setConfidence(deciding.getConfidence())
                .setStages(trail)
                .setTrueLabel(frame.getLabel())
                .setDecidedTime(Instant.now(clock))
                .setAuditRate(auditRate)
                .setAudit(audit)
                .build();
        context().forward(record.withKey(frame.getCameraId()).withValue(new Routed.Decided(prediction)));
    }

    /** What cannot be processed: a whole record (its payload kept) or one frame of it. */
    record Rejection(int stage, String kind, String reason, Frame frame, byte[] payload) {
        static Rejection ofRecord(int stage, String kind, String reason, byte[] payload) {
            return new Rejection(stage, kind, reason, null, payload);
        }

        static Rejection ofFrame(int stage, String kind, String reason, Frame frame) {
            return new Rejection(stage, kind, reason, frame, null);
        }
    }

    private void reject(Record<String, byte[]> record, RecordMetadata source, Rejection rejection) {
        metricsOf(rejection.stage()).deadLetter(rejection.kind());
        Frame frame = rejection.frame();
        byte[] payload = rejection.payload();
        String reason = rejection.reason();
        DeadLetter.Builder letter = DeadLetter.newBuilder()
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setStage(rejection.stage())
                .setCameraId(frame != null ? frame.getCameraId() : record.key())
                .setSequence(frame != null ? frame.getSequence() : null)
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
                .setRejectedTime(Instant.now(clock));
        if (payload != null) {
            int kept = Math.min(payload.length, RecordLimits.MAX_DEAD_LETTER_PAYLOAD_BYTES);
            letter.setPayload(ByteBuffer.wrap(payload, 0, kept)).setPayloadBytes((long) payload.length).setPayloadSha256(sha256(payload));
            if (kept < payload.length) {
                // Any dead letter must fit its topic, whatever arrived: the size and the hash still identify the value.
                reason += " (the value's first " + kept + " of " + payload.length + " bytes are kept; its SHA-256 is in payload_sha256)";
            }
        }
        LOG.warn("dead letter from {}-{}@{}: {}", source.topic(), source.partition(), source.offset(), reason);
        context().forward(record.withValue(new Routed.Rejected(letter.setReason(reason).build())));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}

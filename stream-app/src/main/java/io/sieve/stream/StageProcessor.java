package io.sieve.stream;

import io.sieve.cascade.model.Image;
import io.sieve.cascade.model.ModelException;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.PixelLayout;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.StageResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.sieve.cascade.filter.DifferenceFilter;
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
    /** A record younger than this means the stages keep up with its producer. */
    static final long CAUGHT_UP_MILLIS = 50;

    private final List<CascadeStage> stages;
    private final Deserializer<FrameBatch> decoder;
    private final List<StageMetrics> metrics;
    private final Clock clock;
    private final List<String> classNames;
    private final String queryStatesStore;
    private final DifferenceFilter filter;
    private final long eagerCommitMillis;
    private long lastEagerCommitMillis = Long.MIN_VALUE / 2;
    private TimestampedKeyValueStore<String, QueryCommand> queryStates;

    /** @param stages consecutive stages of the cascade, cheapest first, with one metrics object each */
    StageProcessor(List<CascadeStage> stages, Deserializer<FrameBatch> decoder, List<StageMetrics> metrics, Clock clock,
                   String queryStatesStore, DifferenceFilter filter, Duration eagerCommit) {
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
        this.filter = filter;
        this.eagerCommitMillis = eagerCommit.toMillis();
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

    /** Frames of an aborted query are dropped before any model time is spent on them. */
    private boolean aborted(Frame frame) {
        if (frame.getQueryId() == null) {
            return false;
        }
        ValueAndTimestamp<QueryCommand> state = queryStates.get(frame.getQueryId());
        return state != null && state.value().getAction() == QueryAction.ABORT;
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
        CascadeStage first = stages.get(0);
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
            deadLetter(record, source, first.index(), "undecodable record: " + e.getMessage(), null, record.value(), "unknown schema");
            return;
        } catch (RuntimeException e) {
            deadLetter(record, source, first.index(), "undecodable record: " + e.getMessage(), null, record.value(), "undecodable");
            return;
        }
        List<Frame> frames = new ArrayList<>(batch.getFrames().size());
        List<Image> images = new ArrayList<>(batch.getFrames().size());
        for (Frame frame : batch.getFrames()) {
            if (aborted(frame)) {
                metrics.get(0).skippedAborted();
                continue;
            }
            String problem = problem(frame);
            if (problem != null) {
                deadLetter(record, source, first.index(), problem, frame, null, "invalid frame");
                continue;
            }
            frames.add(frame);
            images.add(toImage(frame));
        }
        if (batch.getFrames().isEmpty()) {
            deadLetter(record, source, first.index(), "batch of camera " + batch.getCameraId() + " holds no frames", null,
                    record.value(), "empty batch");
            return;
        }
        if (first.index() == 0 && filter.enabled() && !frames.isEmpty()) {
            markFollowers(frames, images);
        }
        Pending pending = new Pending(frames, images);
        for (int k = 0; k < stages.size() && !pending.frames.isEmpty(); k++) {
            pending = runStage(stages.get(k), metrics.get(k), record, source, pending);
        }
        if (!pending.frames.isEmpty()) {
            context().forward(record.withValue(Routed.nextStage(new FrameBatch(batch.getCameraId(), pending.frames))));
        }
    }

    /** Frames still undecided, with their images in the same order. */
    private record Pending(List<Frame> frames, List<Image> images) {
    }

    /**
     * Runs one stage on the pending frames, forwards the predictions of those it decides, and returns
     * the rest (each carrying this stage's result): none when the model failed and every pending frame
     * was dead-lettered.
     */
    private Pending runStage(CascadeStage stage, StageMetrics stageMetrics, Record<String, byte[]> record, RecordMetadata source,
                             Pending pending) {
        List<Frame> frames = new ArrayList<>(pending.frames);
        // Followers (set by the difference filter) take their reference's result; only references run the model.
        Map<Long, Integer> referencePosition = new HashMap<>();
        List<Image> referenceImages = new ArrayList<>();
        List<Frame> referenceFrames = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            Frame frame = frames.get(i);
            if (frame.getFollows() != null && !referencePosition.containsKey(frame.getFollows())) {
                frame = Frame.newBuilder(frame).setFollows(null).build();
                frames.set(i, frame);
            }
            if (frame.getFollows() == null) {
                referencePosition.put(frame.getSequence(), referenceFrames.size());
                referenceFrames.add(frame);
                referenceImages.add(pending.images.get(i));
            }
        }
        List<StageDecision> decisions;
        try {
            decisions = stage.apply(referenceImages);
        } catch (ModelException | IllegalArgumentException e) {
            LOG.error("stage {} ({}) failed on a batch of {} frames from {}-{}@{}: {}", stage.index(), stage.model().name(),
                    frames.size(), source.topic(), source.partition(), source.offset(), e.getMessage());
            for (Frame frame : frames) {
                deadLetter(record, source, stage.index(), "model " + stage.model().name() + " failed: " + e.getMessage(), frame, null,
                        "model failure");
            }
            return new Pending(List.of(), List.of());
        }
        List<Frame> unsure = new ArrayList<>();
        List<Image> unsureImages = new ArrayList<>();
        int exited = 0;
        int reused = 0;
        for (int i = 0; i < frames.size(); i++) {
            Frame frame = frames.get(i);
            boolean follower = frame.getFollows() != null;
            StageDecision decision = decisions.get(referencePosition.get(follower ? frame.getFollows() : frame.getSequence()));
            List<StageResult> trail = new ArrayList<>(frame.getEarlierStages());
            if (follower && decision.exits()) {
                reused++;
                trail.add(new StageResult(FILTER_STAGE, FILTER_MODEL, decision.label(), decision.confidence(), 0L, true));
                context().forward(record.withKey(frame.getCameraId())
                        .withValue(Routed.prediction(prediction(frame, FILTER_STAGE, FILTER_MODEL, decision, trail))));
            } else if (follower) {
                unsure.add(frame);
                unsureImages.add(pending.images.get(i));
            } else {
                trail.add(new StageResult(stage.index(), decision.model(), decision.label(), decision.confidence(),
                        decision.micros(), decision.exits()));
                if (decision.exits()) {
                    exited++;
                    context().forward(record.withKey(frame.getCameraId())
                            .withValue(Routed.prediction(prediction(frame, stage.index(), decision.model(), decision, trail))));
                } else {
                    unsure.add(Frame.newBuilder(frame).setEarlierStages(trail).build());
                    unsureImages.add(pending.images.get(i));
                }
            }
        }
        if (!decisions.isEmpty()) {
            stageMetrics.batch(referenceFrames.size(), exited, decisions.get(0).micros());
        }
        stageMetrics.reused(reused);
        return new Pending(unsure, unsureImages);
    }

    /** Marks each frame that barely differs from an earlier one of the batch as its follower. */
    private void markFollowers(List<Frame> frames, List<Image> images) {
        int[] reference = filter.references(images);
        for (int i = 0; i < frames.size(); i++) {
            if (reference[i] != i) {
                frames.set(i, Frame.newBuilder(frames.get(i)).setFollows(frames.get(reference[i]).getSequence()).build());
            }
        }
    }

    private String problem(Frame frame) {
        CascadeStage stage = stages.get(0);
        var input = stage.model().card().input();
        if (frame.getChannels() != 3) {
            return "frame " + frame.getCameraId() + "/" + frame.getSequence() + " has " + frame.getChannels()
                    + " channels; RGB (3) is expected";
        }
        if (frame.getWidth() != input.width() || frame.getHeight() != input.height()) {
            return "frame " + frame.getCameraId() + "/" + frame.getSequence() + " is " + frame.getWidth() + "x" + frame.getHeight()
                    + " but model " + stage.model().name() + " expects " + input.width() + "x" + input.height()
                    + " (the producer resizes frames)";
        }
        long expected = (long) frame.getWidth() * frame.getHeight() * frame.getChannels();
        if (frame.getPixels().remaining() != expected) {
            return "frame " + frame.getCameraId() + "/" + frame.getSequence() + " carries " + frame.getPixels().remaining()
                    + " pixel bytes; " + frame.getWidth() + "x" + frame.getHeight() + "x" + frame.getChannels() + " needs " + expected;
        }
        return null;
    }

    private static Image toImage(Frame frame) {
        ByteBuffer buffer = frame.getPixels().duplicate();
        byte[] pixels = new byte[buffer.remaining()];
        buffer.get(pixels);
        return new Image(frame.getWidth(), frame.getHeight(), frame.getChannels(),
                frame.getLayout() == PixelLayout.CHW ? Image.Layout.CHW : Image.Layout.HWC, pixels);
    }

    private Prediction prediction(Frame frame, int decidingStage, String model, StageDecision decision, List<StageResult> trail) {
        return Prediction.newBuilder()
                .setCameraId(frame.getCameraId())
                .setSequence(frame.getSequence())
                .setCaptureTime(frame.getCaptureTime())
                .setQueryId(frame.getQueryId())
                .setQueryPosition(frame.getQueryPosition())
                .setDecidingStage(decidingStage)
                .setModel(model)
                .setLabel(decision.label())
                .setLabelName(decision.label() < classNames.size() ? classNames.get(decision.label()) : "")
                .setConfidence(decision.confidence())
                .setStages(trail)
                .setTrueLabel(frame.getLabel())
                .setDecidedTime(Instant.now(clock))
                .build();
    }

    private void deadLetter(Record<String, byte[]> record, RecordMetadata source, int stage, String reason, Frame frame,
                            byte[] payload, String reasonKind) {
        metrics.get(stage - stages.get(0).index()).deadLetter(reasonKind);
        LOG.warn("dead letter from {}-{}@{}: {}", source.topic(), source.partition(), source.offset(), reason);
        DeadLetter letter = DeadLetter.newBuilder()
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setStage(stage)
                .setReason(reason)
                .setCameraId(frame != null ? frame.getCameraId() : record.key())
                .setSequence(frame != null ? frame.getSequence() : null)
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
                .setPayload(payload == null ? null : ByteBuffer.wrap(payload))
                .setRejectedTime(Instant.now(clock))
                .build();
        context().forward(record.withValue(Routed.deadLetter(letter)));
    }
}

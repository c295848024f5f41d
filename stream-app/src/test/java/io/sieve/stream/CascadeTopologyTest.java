package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sieve.cascade.filter.CameraFilters;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.images.Image;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.runtime.AuditCoin;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.client.Topics;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.FrameEncoding;
import io.sieve.client.FramePixels;
import io.sieve.images.PixelEncoding;
import io.sieve.schemas.PixelLayout;
import io.sieve.schemas.Prediction;
import io.sieve.serde.RecordLimits;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CascadeTopologyTest {
    private static final Path FIXTURES = Path.of(System.getProperty("sieve.home", ".."), "cascade/src/test/resources/fixtures");

    private final Topics topics = new Topics("", "mock://topology-" + UUID.randomUUID());
    private final List<CascadeStage> stages = new ArrayList<>();
    private final Random random = new Random(3);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private CameraFilters filters = CameraFilters.everywhere(0);
    private double auditRate = 0;
    private PipelineDriver driver;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        stages.forEach(CascadeStage::close);
    }

    @Test
    void confidentFramesArePredictedAtOnceAndTheRestByTheNextStageEachExactlyOnce() {
        List<Frame> frames = frames("cam-1", 40, 32);
        double threshold = medianConfidence(frames);
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", threshold), last(1, "tiny_softmax"));

        driver.pipe(0, "cam-1", encode(new FrameBatch("cam-1", frames)));

        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(40);
        assertThat(predictions.stream().map(Prediction::getSequence).collect(Collectors.toSet())).hasSize(40);
        List<Prediction> early = predictions.stream().filter(p -> p.getDecidingStage() == 0).toList();
        List<Prediction> late = predictions.stream().filter(p -> p.getDecidingStage() == 1).toList();
        assertThat(early).hasSizeBetween(15, 25).allSatisfy(p -> {
            assertThat(p.getConfidence()).isGreaterThanOrEqualTo((float) threshold);
            assertThat(p.getStages()).hasSize(1);
            assertThat(p.getModel()).isEqualTo("tiny_logits");
        });
        assertThat(late).hasSize(40 - early.size()).allSatisfy(p -> {
            assertThat(p.getStages()).hasSize(2);
            assertThat(p.getStages().get(0).getExited()).isFalse();
            assertThat(p.getStages().get(0).getConfidence()).isLessThan((float) threshold);
            assertThat(p.getModel()).isEqualTo("tiny_softmax");
        });
        assertThat(predictions).allSatisfy(p -> {
            assertThat(p.getCameraId()).isEqualTo("cam-1");
            assertThat(p.getTrueLabel()).isEqualTo((int) (p.getSequence() % 10));
            assertThat(p.getLabelName()).isNotEmpty();
        });
        assertThat(driver.deadLetters().isEmpty()).isTrue();
    }

    @Test
    void threeStagesRouteFramesThroughTheStagesThatCanDecideThemAsInProcess() {
        List<Frame> frames = frames("cam-2", 60, 32);
        double threshold = medianConfidence(frames);
        startDriver(Set.of(0, 1, 2), stage(0, "tiny_logits", threshold), stage(1, "tiny_logits", 2.0), last(2, "tiny_softmax"));
        driver.pipe(0, "cam-2", encode(new FrameBatch("cam-2", frames)));
        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(60);
        // Stage 1's threshold is above any confidence: it could decide nothing, so it is skipped, as in-process.
        assertThat(predictions).noneMatch(p -> p.getDecidingStage() == 1);
        assertThat(predictions.stream().filter(p -> p.getDecidingStage() == 2))
                .isNotEmpty().allSatisfy(p -> assertThat(p.getStages()).extracting(s -> s.getStage()).containsExactly(0, 2));
        assertThat(meters.find("sieve.stage.frames.in").tag("stage", "1").counter().count()).isZero();
        List<Image> images = frames.stream().map(CascadeTopologyTest::image).toList();
        List<List<StageDecision>> inProcess = new Cascade("in-process", stages, null).classify(images);
        for (Prediction p : predictions) {
            List<StageDecision> trail = inProcess.get((int) p.getSequence());
            assertThat(p.getStages()).extracting(s -> s.getStage()).containsExactlyElementsOf(trail.stream().map(StageDecision::stage).toList());
            assertThat(p.getLabel()).isEqualTo(trail.get(trail.size() - 1).label());
            assertThat(p.getConfidence()).isEqualTo(trail.get(trail.size() - 1).confidence());
        }
    }

    @Test
    void aStageContinuingTheOneBeforeItRunsFusedWithItOnItsHandedOnFeaturesAsInProcess() {
        List<Frame> frames = frames("cam-12", 60, 32);
        // The trunk lets no frame exit yet runs: the rest of the network needs its feature map.
        startDriver(Set.of(0, 1, 2), stage(0, "tiny_logits", medianConfidence(frames)),
                new CascadeStage(1, false, OnnxClassifier.load(FIXTURES.resolve("tiny_trunk.card.json"), 1),
                        ConfidenceMeasure.MAX_PROBABILITY, 2.0, null, Set.of("features")), last(2, "tiny_trunk_rest"));
        driver.pipe(0, "cam-12", encode(new FrameBatch("cam-12", frames)));
        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(60);
        List<Image> images = frames.stream().map(CascadeTopologyTest::image).toList();
        try (OnnxClassifier whole = OnnxClassifier.load(FIXTURES.resolve("tiny_trunk_whole.card.json"), 1)) {
            List<ClassProbabilities> expected = whole.predict(images);
            assertThat(predictions.stream().filter(p -> p.getDecidingStage() == 2)).isNotEmpty().allSatisfy(p -> {
                assertThat(p.getStages()).extracting(s -> s.getStage()).containsExactly(0, 1, 2);
                assertThat(p.getLabel()).isEqualTo(expected.get((int) p.getSequence()).label());
            });
        }
    }

    @Test
    void aContinuationSelectedWithoutTheStageItContinuesIsRefused() {
        stages.add(stage(0, "tiny_logits", 0.5));
        stages.add(new CascadeStage(1, false, OnnxClassifier.load(FIXTURES.resolve("tiny_trunk.card.json"), 1),
                ConfidenceMeasure.MAX_PROBABILITY, 0.5, null, Set.of("features")));
        stages.add(last(2, "tiny_trunk_rest"));
        for (Set<Integer> selected : List.of(Set.of(2), Set.of(0, 1))) {
            assertThatThrownBy(() -> CascadeTopology.buildStages(new org.apache.kafka.streams.StreamsBuilder(), topics, stages, selected,
                    filters, java.time.Duration.ZERO, 0, meters, java.time.Clock.systemUTC()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stage 2 (tiny_trunk_rest) continues stage 1")
                    .hasMessageContaining("run both in one instance");
        }
    }

    @Test
    void compressedFramesOfAnotherSizeAreDecodedResizedAndDecidedAsInProcess() {
        List<Frame> raw = frames("cam-5", 40, 48);
        double threshold = medianConfidence(raw);
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", threshold), last(1, "tiny_nhwc"));
        List<Frame> sent = new ArrayList<>();
        for (Frame frame : raw) {
            PixelEncoding encoding = frame.getSequence() % 2 == 0 ? PixelEncoding.JPEG : PixelEncoding.PNG;
            sent.add(FramePixels.withImage(Frame.newBuilder(frame), image(frame), encoding, 0.8f).build());
        }
        driver.pipe(0, "cam-5", encode(new FrameBatch("cam-5", sent)));
        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(40);
        assertThat(predictions).anyMatch(p -> p.getDecidingStage() == 0).anyMatch(p -> p.getDecidingStage() == 1);
        List<List<StageDecision>> inProcess = new Cascade("in-process", stages, null)
                .classify(sent.stream().map(FramePixels::image).toList());
        for (Prediction p : predictions) {
            List<StageDecision> trail = inProcess.get((int) p.getSequence());
            assertThat(p.getLabel()).isEqualTo(trail.get(trail.size() - 1).label());
            assertThat(p.getConfidence()).isEqualTo(trail.get(trail.size() - 1).confidence());
        }
    }

    @Test
    void stagesOfOneInstanceRunFusedSoNoFrameCrossesATopicBetweenThem() {
        List<Frame> frames = frames("cam-6", 40, 32);
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", medianConfidence(frames)), last(1, "tiny_softmax"));
        var hop = driver.dataOutput(topics.frames(1).name(), topics.frames(1).valueSerde().deserializer());
        driver.pipe(0, "cam-6", encode(new FrameBatch("cam-6", frames)));
        assertThat(driver.predictions()).hasSize(40).anyMatch(p -> p.getDecidingStage() == 1);
        assertThat(hop.isEmpty()).isTrue();
    }

    @Test
    void aCheapStageRunningAloneSendsItsUnsureFramesOnInOneBatchWithItsResults() {
        List<Frame> frames = frames("cam-7", 40, 32);
        double threshold = medianConfidence(frames);
        startDriver(Set.of(0), stage(0, "tiny_logits", threshold), last(1, "tiny_softmax"));
        var hop = driver.dataOutput(topics.frames(1).name(), topics.frames(1).valueSerde().deserializer());
        driver.pipe(0, "cam-7", encode(new FrameBatch("cam-7", frames)));
        List<Prediction> decided = driver.predictions();
        assertThat(decided).allSatisfy(p -> assertThat(p.getDecidingStage()).isZero());
        List<FrameBatch> passed = hop.readValuesToList();
        assertThat(passed).hasSize(1);
        assertThat(passed.get(0).getFrames()).hasSize(40 - decided.size()).allSatisfy(f -> {
            assertThat(f.getEarlierStages()).hasSize(1);
            assertThat(f.getEarlierStages().get(0).getConfidence()).isLessThan((float) threshold);
        });
    }

    @Test
    void auditedFramesKeepTheirEarlyAnswerAndCarryTheLastStagesLabelAsInProcess() {
        List<Frame> frames = frames("cam-8", 200, 32);
        auditRate = 0.3;
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", medianConfidence(frames)), last(1, "tiny_softmax"));
        driver.pipe(0, "cam-8", encode(new FrameBatch("cam-8", frames)));
        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(200);
        List<Image> images = frames.stream().map(CascadeTopologyTest::image).toList();
        List<StageDecision> byLastStage = stages.get(1).apply(images);
        List<List<StageDecision>> inProcess = new Cascade("in-process", stages, null).classify(images);
        List<Prediction> early = predictions.stream().filter(p -> p.getDecidingStage() == 0).toList();
        List<Prediction> audited = early.stream().filter(p -> p.getAudit() != null).toList();
        // A seeded coin per frame: about 30% of the early answers, and the same frames on every run.
        assertThat(audited.size()).isBetween((int) (0.15 * early.size()), (int) (0.45 * early.size()));
        assertThat(audited).allSatisfy(p -> {
            assertThat(p.getAudit().getStage()).isEqualTo(1);
            assertThat(p.getAudit().getLabel()).isEqualTo(byLastStage.get((int) p.getSequence()).label());
            assertThat(p.getAuditRate()).isEqualTo(0.3);
            assertThat(AuditCoin.picked(0.3, 0, null, "cam-8", p.getSequence())).isTrue();
        });
        assertThat(early).allSatisfy(p -> assertThat(p.getAuditRate()).isEqualTo(0.3));
        assertThat(early.stream().filter(p -> p.getAudit() == null))
                .allSatisfy(p -> assertThat(AuditCoin.picked(0.3, 0, null, "cam-8", p.getSequence())).isFalse());
        assertThat(predictions.stream().filter(p -> p.getDecidingStage() == 1))
                .isNotEmpty().allSatisfy(p -> {
                    assertThat(p.getAudit()).isNull();
                    assertThat(p.getAuditRate()).isZero();
                });
        for (Prediction p : predictions) {
            List<StageDecision> trail = inProcess.get((int) p.getSequence());
            assertThat(p.getLabel()).isEqualTo(trail.get(trail.size() - 1).label());
            assertThat(p.getStages()).hasSize(trail.size());
        }
        assertThat(meters.get("sieve.stage.frames.audited").tag("stage", "1").counter().count()).isEqualTo(audited.size());
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "1").counter().count()).isEqualTo(200 - early.size());
    }

    @Test
    void aFrameAuditedAcrossInstancesTravelsToTheLastStageAndIsPredictedOnceThere() {
        List<Frame> frames = frames("cam-9", 100, 32);
        auditRate = 1;
        double threshold = medianConfidence(frames);
        startDriver(Set.of(0), stage(0, "tiny_logits", threshold), last(1, "tiny_softmax"));
        var hop = driver.dataOutput(topics.frames(1).name(), topics.frames(1).valueSerde().deserializer());
        driver.pipe(0, "cam-9", encode(new FrameBatch("cam-9", frames)));
        assertThat(driver.predictions()).as("every early answer waits for its audit").isEmpty();
        List<Frame> passed = hop.readValuesToList().stream().flatMap(b -> b.getFrames().stream()).toList();
        assertThat(passed).hasSize(100);
        List<Frame> passengers = passed.stream().filter(f -> f.getEarlierStages().get(0).getExited()).toList();
        assertThat(passengers).isNotEmpty().allSatisfy(f -> assertThat(f.getAuditRate()).isEqualTo(1.0));
        driver.close();

        PipelineDriver last = new PipelineDriver(topics, stages, Set.of(1), filters, auditRate, null, meters);
        driver = last;
        last.pipe(1, new FrameBatch("cam-9", passed));
        List<Prediction> predictions = last.predictions();
        assertThat(predictions).hasSize(100);
        List<StageDecision> byLastStage = stages.get(1).apply(frames.stream().map(CascadeTopologyTest::image).toList());
        assertThat(predictions.stream().filter(p -> p.getDecidingStage() == 0)).hasSize(passengers.size()).allSatisfy(p -> {
            assertThat(p.getModel()).isEqualTo("tiny_logits");
            assertThat(p.getConfidence()).isGreaterThanOrEqualTo((float) threshold);
            assertThat(p.getAudit().getLabel()).isEqualTo(byLastStage.get((int) p.getSequence()).label());
            assertThat(p.getStages()).hasSize(1);
        });
        assertThat(predictions.stream().filter(p -> p.getDecidingStage() == 1)).allSatisfy(p -> assertThat(p.getAudit()).isNull());
    }

    @Test
    void anApplicationRunningOnlyTheExpensiveStageReadsItsTopic() {
        startDriver(Set.of(1), stage(0, "tiny_logits", 0.5), last(1, "tiny_softmax"));
        List<Frame> frames = frames("cam-3", 10, 32);
        driver.pipe(1, "cam-3", encode(new FrameBatch("cam-3", frames), 1));
        assertThat(driver.predictions()).hasSize(10).allSatisfy(p -> assertThat(p.getDecidingStage()).isEqualTo(1));
    }

    @Test
    void badRecordsAndBadFramesGoToDeadLettersWithTheirReasonAndSourceWhileTheRestIsProcessed() {
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.0), last(1, "tiny_softmax"));
        driver.pipe(0, "cam-4", new byte[] {1, 2, 3, 4, 5, 6, 7});
        driver.pipe(0, "cam-4", encode(new FrameBatch("cam-4", List.of())));
        List<Frame> mixed = new ArrayList<>(frames("cam-4", 3, 32));
        mixed.add(frames("cam-4", 1, 64).get(0));
        Frame grey = Frame.newBuilder(frames("cam-4", 1, 32).get(0)).setSequence(77).setChannels(1)
                .setPixels(ByteBuffer.wrap(new byte[32 * 32])).build();
        mixed.add(grey);
        Frame short_ = Frame.newBuilder(frames("cam-4", 1, 32).get(0)).setSequence(78).setPixels(ByteBuffer.wrap(new byte[100])).build();
        mixed.add(short_);
        Frame junkJpeg = Frame.newBuilder(frames("cam-4", 1, 32).get(0)).setSequence(79).setEncoding(FrameEncoding.JPEG)
                .setPixels(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3})).build();
        mixed.add(junkJpeg);
        driver.pipe(0, "cam-4", encode(new FrameBatch("cam-4", mixed)));

        List<DeadLetter> letters = driver.deadLetters().readValuesToList();
        assertThat(letters).hasSize(5);
        assertThat(letters.get(0).getReason()).contains("undecodable", "unknown magic byte 1");
        assertThat(letters.get(0).getSourceTopic()).isEqualTo("frames");
        assertThat(letters.get(0).getSourceOffset()).isZero();
        assertThat(letters.get(0).getPayload().remaining()).isEqualTo(7);
        assertThat(letters.get(1).getReason()).contains("holds no frames");
        assertThat(letters.get(1).getSourceOffset()).isEqualTo(1);
        assertThat(letters.subList(2, 5)).extracting(DeadLetter::getReason)
                .anySatisfy(r -> assertThat(r).contains("cam-4/79", "undecodable JPEG frame"))
                .anySatisfy(r -> assertThat(r).contains("1 channels"))
                .anySatisfy(r -> assertThat(r).contains("needs 3072 pixel bytes, got 100"));
        assertThat(letters.subList(2, 5)).allSatisfy(l -> assertThat(l.getSourceOffset()).isEqualTo(2));
        // The good frames of the mixed batch are still predicted at stage 0 (threshold 0), the 64x64 one resized.
        assertThat(driver.predictions()).hasSize(4);
    }

    @Test
    void aFrameNamingAnInvalidQueryIdIsDeadLetteredAndTheRestOfItsBatchIsDecided() {
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.0), last(1, "tiny_softmax"));
        List<Frame> frames = new ArrayList<>(frames("cam-q", 3, 32));
        frames.set(1, Frame.newBuilder(frames.get(1)).setQueryId("<script>").build());
        driver.pipe(0, new FrameBatch("cam-q", frames));
        assertThat(driver.deadLetters().readValuesToList()).singleElement().satisfies(l -> {
            assertThat(l.getSequence()).isEqualTo(1L);
            assertThat(l.getReason()).contains("'<script>' is not a valid query id");
        });
        assertThat(driver.predictions()).hasSize(2);
    }

    @Test
    void anOversizedRecordBecomesADeadLetterThatFitsItsTopicNamingItsSizeAndHash() throws Exception {
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.5), last(1, "tiny_softmax"));
        byte[] value = new byte[2 * 1024 * 1024];
        random.nextBytes(value);
        value[0] = 0;
        driver.pipe(0, "cam-big", value);
        DeadLetter letter = driver.deadLetters().readValue();
        assertThat(letter.getPayload().remaining()).isEqualTo(RecordLimits.MAX_DEAD_LETTER_PAYLOAD_BYTES);
        assertThat(letter.getPayloadBytes()).isEqualTo(value.length);
        assertThat(letter.getPayloadSha256()).isEqualTo(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(value)));
        assertThat(letter.getReason()).contains("first 65536 of 2097152 bytes are kept");
        assertThat(driver.deadLetters().isEmpty()).isTrue();
    }

    @Test
    void framesForwardedToTheNextStageAreSplitIntoRecordsThatFitTheTopic() {
        // 2,800 frames of 3 KB: one input record of 8.6 MB, more than one record may hold once forwarded.
        List<Frame> frames = frames("cam-many", 2800, 32);
        startDriver(Set.of(0), stage(0, "tiny_logits", 2.0), last(1, "tiny_softmax"));
        var hop = driver.dataOutput(topics.frames(1).name(), topics.frames(1).valueSerde().deserializer());
        driver.pipe(0, new FrameBatch("cam-many", frames));
        List<FrameBatch> forwarded = hop.readValuesToList();
        assertThat(forwarded).hasSizeGreaterThan(1);
        assertThat(forwarded.stream().mapToInt(b -> b.getFrames().size()).sum()).isEqualTo(2800);
        assertThat(forwarded).allSatisfy(b -> assertThat(b.getFrames().stream().mapToLong(RecordLimits::frameBytes).sum())
                .isLessThanOrEqualTo(RecordLimits.MAX_RECORD_BYTES - RecordLimits.RECORD_OVERHEAD_BYTES));
        assertThat(forwarded.stream().flatMap(b -> b.getFrames().stream()).map(Frame::getSequence).toList()).as("in order").isSorted();
    }

    @Test
    void aRegistryOutageStopsTheStageInsteadOfDeadLetteringGoodFrames() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Topics unreachable = new Topics("", "http://127.0.0.1:" + closedPort + "/apis/ccompat/v7");
        stages.add(stage(0, "tiny_logits", 0.5));
        stages.add(last(1, "tiny_softmax"));
        driver = new PipelineDriver(unreachable, stages, Set.of(0, 1), CameraFilters.everywhere(0), 0, null, new SimpleMeterRegistry());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> driver.pipe(0, "cam-6", new byte[] {0, 0, 0, 0, 7, 2, 4, 6}))
                .hasStackTraceContaining("schema registry unavailable")
                .hasStackTraceContaining(String.valueOf(closedPort));
        assertThat(driver.deadLetters().isEmpty()).isTrue();
    }

    @Test
    void followersOfTheDifferenceFilterTakeTheirReferencesLabelAtWhicheverStageItIsDecided() {
        List<Frame> still = new ArrayList<>();
        Frame first = frames("cam-5", 1, 32).get(0);
        for (int i = 0; i < 10; i++) {
            still.add(Frame.newBuilder(first).setSequence(i).build());
        }
        filters = CameraFilters.everywhere(1.0);
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.999), last(1, "tiny_softmax"));
        driver.pipe(0, "cam-5", encode(new FrameBatch("cam-5", still)));
        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(10);
        assertThat(predictions.stream().filter(p -> p.getDecidingStage() == 1)).hasSize(1);
        List<Prediction> reused = predictions.stream().filter(p -> p.getDecidingStage() == StageProcessor.FILTER_STAGE).toList();
        assertThat(reused).hasSize(9).allSatisfy(p -> {
            assertThat(p.getModel()).isEqualTo(StageProcessor.FILTER_MODEL);
            assertThat(p.getLabel()).isEqualTo(predictions.stream().filter(q -> q.getDecidingStage() == 1).findFirst().orElseThrow().getLabel());
        });
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "1").counter().count()).isEqualTo(1);
        assertThat(meters.get("sieve.stage.frames.reused").tag("stage", "1").counter().count()).isEqualTo(9);
    }

    /** {@code n} frames of camera {@code camera} from sequence {@code first} on, all showing {@code scene}. */
    private static List<Frame> still(Frame scene, String camera, long first, int n) {
        List<Frame> still = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            still.add(Frame.newBuilder(scene).setCameraId(camera).setSequence(first + i).build());
        }
        return still;
    }

    @Test
    void aFixedCamerasNextRecordFollowsTheReferenceOfItsLastOneUntilTheSceneChanges() {
        List<Frame> scenes = frames("cam-7", 2, 32);
        filters = CameraFilters.everywhere(1.0);
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.999), last(1, "tiny_softmax"));
        driver.pipe(0, "cam-7", encode(new FrameBatch("cam-7", still(scenes.get(0), "cam-7", 0, 5))));
        List<Frame> second = new ArrayList<>(still(scenes.get(0), "cam-7", 5, 2));
        second.addAll(still(scenes.get(1), "cam-7", 7, 3));
        driver.pipe(0, "cam-7", encode(new FrameBatch("cam-7", second)));

        Map<Long, Prediction> bySequence = driver.predictions().stream().collect(Collectors.toMap(Prediction::getSequence, p -> p));
        assertThat(bySequence).hasSize(10);
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "0").counter().count()).as("one model call per scene").isEqualTo(2);
        int firstScene = bySequence.get(0L).getLabel();
        for (long seq = 1; seq <= 6; seq++) {
            assertThat(bySequence.get(seq).getDecidingStage()).isEqualTo(StageProcessor.FILTER_STAGE);
            assertThat(bySequence.get(seq).getLabel()).isEqualTo(firstScene);
        }
        assertThat(bySequence.get(7L).getDecidingStage()).as("the new scene runs the models").isEqualTo(1);
        assertThat(bySequence.get(9L).getLabel()).isEqualTo(bySequence.get(7L).getLabel());
        assertThat(meters.get("sieve.stage.frames.reused").tag("stage", "0").counter().count()).isEqualTo(2);
    }

    @Test
    void followersOfAReferenceStillUndecidedGoOnToTheStageThatDecidesItWithoutRunningAModel() {
        Frame scene = frames("cam-8", 1, 32).get(0);
        filters = CameraFilters.everywhere(1.0);
        startDriver(Set.of(0), stage(0, "tiny_logits", 0.999), last(1, "tiny_softmax"));
        var hop = driver.dataOutput(topics.frames(1).name(), topics.frames(1).valueSerde().deserializer());
        driver.pipe(0, "cam-8", encode(new FrameBatch("cam-8", still(scene, "cam-8", 0, 4))));
        driver.pipe(0, "cam-8", encode(new FrameBatch("cam-8", still(scene, "cam-8", 4, 4))));
        List<FrameBatch> passed = hop.readValuesToList();
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "0").counter().count()).isEqualTo(1);
        assertThat(passed).hasSize(2);
        assertThat(passed.get(1).getFrames()).allSatisfy(f -> {
            assertThat(f.getFollows()).isEqualTo(0L);
            assertThat(f.getEarlierStages()).isEmpty();
        });
        driver.close();

        driver = new PipelineDriver(topics, stages, Set.of(1), filters, auditRate, null, meters);
        passed.forEach(b -> driver.pipe(1, b));
        List<Prediction> predictions = driver.predictions();
        assertThat(predictions).hasSize(8);
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "1").counter().count()).isEqualTo(1);
        int label = predictions.stream().filter(p -> p.getDecidingStage() == 1).findFirst().orElseThrow().getLabel();
        assertThat(predictions.stream().filter(p -> p.getDecidingStage() == StageProcessor.FILTER_STAGE))
                .hasSize(7).allSatisfy(p -> assertThat(p.getLabel()).isEqualTo(label));
        driver.close();

        // A restarted instance has forgotten the reference: its followers run the model themselves, and none is lost.
        driver = new PipelineDriver(topics, stages, Set.of(1), filters, auditRate, null, new SimpleMeterRegistry());
        driver.pipe(1, passed.get(1));
        assertThat(driver.predictions()).hasSize(4).allSatisfy(p -> assertThat(p.getDecidingStage()).isEqualTo(1));
    }

    @Test
    void aFollowerOfACarriedReferencePickedForTheAuditIsLabelledByTheLastStage() {
        Frame scene = frames("cam-10", 1, 32).get(0);
        filters = CameraFilters.everywhere(1.0);
        auditRate = 1;
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.0), last(1, "tiny_softmax"));
        driver.pipe(0, "cam-10", encode(new FrameBatch("cam-10", still(scene, "cam-10", 0, 3))));
        driver.pipe(0, "cam-10", encode(new FrameBatch("cam-10", still(scene, "cam-10", 3, 3))));
        List<Prediction> predictions = driver.predictions();
        int lastStageLabel = stages.get(1).apply(List.of(image(scene))).get(0).label();
        assertThat(predictions).hasSize(6).allSatisfy(p -> {
            assertThat(p.getAudit()).isNotNull();
            assertThat(p.getAudit().getLabel()).isEqualTo(lastStageLabel);
        });
        assertThat(predictions.stream().filter(p -> p.getSequence() >= 3)).allSatisfy(p -> {
            assertThat(p.getDecidingStage()).isEqualTo(StageProcessor.FILTER_STAGE);
            assertThat(p.getStages()).hasSize(1);
        });
    }

    @Test
    void aCameraThatLearnedItsBackgroundDecidesFramesWithNothingInViewWithoutAModel() {
        // Scene 0 is the camera's empty scene, 1 and 2 objects passing through.
        List<Frame> scenes = frames("cam-11", 3, 32);
        filters = CameraFilters.parse("0,cam-11=1", "cam-*");
        startDriver(Set.of(0, 1), stage(0, "tiny_logits", 0.999), last(1, "tiny_softmax"));
        List<Frame> first = new ArrayList<>(still(scenes.get(0), "cam-11", 0, 3));
        first.addAll(still(scenes.get(1), "cam-11", 3, 12));
        first.addAll(still(scenes.get(0), "cam-11", 15, 3));
        driver.pipe(0, "cam-11", encode(new FrameBatch("cam-11", first)));
        List<Frame> second = new ArrayList<>(still(scenes.get(0), "cam-11", 18, 2));
        second.addAll(still(scenes.get(2), "cam-11", 20, 2));
        driver.pipe(0, "cam-11", encode(new FrameBatch("cam-11", second)));
        // Another camera without a filter sees the same scenes and runs the models on every frame.
        driver.pipe(0, "cam-12", encode(new FrameBatch("cam-12", still(scenes.get(0), "cam-12", 0, 2))));

        List<Prediction> predictions = driver.predictions();
        assertThat(predictions.stream().filter(p -> p.getCameraId().equals("cam-12")))
                .hasSize(2).allSatisfy(p -> assertThat(p.getDecidingStage()).isEqualTo(1));
        Map<Long, Prediction> bySequence = predictions.stream().filter(p -> p.getCameraId().equals("cam-11"))
                .collect(Collectors.toMap(Prediction::getSequence, p -> p));
        assertThat(bySequence).hasSize(22);
        for (long seq = 0; seq < 15; seq++) {
            assertThat(bySequence.get(seq).getDecidingStage()).as("frame %d, before the scene came back", seq).isNotEqualTo(-2);
        }
        for (long seq = 15; seq < 20; seq++) {
            Prediction empty = bySequence.get(seq);
            assertThat(empty.getDecidingStage()).as("frame %d", seq).isEqualTo(StageProcessor.NOTHING_IN_VIEW_STAGE);
            assertThat(empty.getLabel()).isEqualTo(StageProcessor.NOTHING_IN_VIEW_LABEL);
            assertThat(empty.getLabelName()).isEqualTo("nothing in view");
            assertThat(empty.getModel()).isEqualTo(StageProcessor.BACKGROUND_MODEL);
            assertThat(empty.getAudit()).isNull();
        }
        assertThat(bySequence.get(20L).getDecidingStage()).as("a new object runs the models").isEqualTo(1);
        assertThat(bySequence.get(21L).getDecidingStage()).isEqualTo(StageProcessor.FILTER_STAGE);
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "0").counter().count()).as("scenes 0, 1, 2 of cam-11, 2 of cam-12")
                .isEqualTo(5);
        assertThat(meters.get("sieve.stage.frames.nothing.in.view").tag("stage", "0").counter().count()).isEqualTo(5);
    }

    private void startDriver(Set<Integer> selected, CascadeStage... cascade) {
        stages.addAll(Arrays.asList(cascade));
        driver = new PipelineDriver(topics, stages, selected, filters, auditRate, null, meters);
    }

    private CascadeStage stage(int index, String model, double threshold) {
        return new CascadeStage(index, false, OnnxClassifier.load(FIXTURES.resolve(model + ".card.json"), 1),
                ConfidenceMeasure.MAX_PROBABILITY, threshold, null);
    }

    private CascadeStage last(int index, String model) {
        return new CascadeStage(index, true, OnnxClassifier.load(FIXTURES.resolve(model + ".card.json"), 1),
                ConfidenceMeasure.MAX_PROBABILITY, null, null);
    }

    private byte[] encode(FrameBatch batch) {
        return encode(batch, 0);
    }

    private byte[] encode(FrameBatch batch, int stage) {
        return driver.encode(stage, batch);
    }

    private List<Frame> frames(String camera, int n, int side) {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[side * side * 3];
            random.nextBytes(pixels);
            frames.add(Frame.newBuilder().setCameraId(camera).setSequence(i).setCaptureTime(Instant.ofEpochMilli(1000 + i))
                    .setWidth(side).setHeight(side).setChannels(3).setLayout(PixelLayout.HWC).setPixels(ByteBuffer.wrap(pixels))
                    .setLabel(i % 10).build());
        }
        return frames;
    }

    private double medianConfidence(List<Frame> frames) {
        try (OnnxClassifier model = OnnxClassifier.load(FIXTURES.resolve("tiny_logits.card.json"), 1)) {
            List<Image> images = frames.stream().map(CascadeTopologyTest::image).toList();
            double[] c = model.predict(images).stream().mapToDouble(p -> p.maxProbability()).sorted().toArray();
            return c[c.length / 2];
        }
    }

    private static Image image(Frame frame) {
        return new Image(frame.getWidth(), frame.getHeight(), 3, Image.Layout.HWC, frame.getPixels().array());
    }
}

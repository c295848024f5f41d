package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sieve.cascade.definition.ExitProfile;
import io.sieve.cascade.definition.ReliabilityTable;
import io.sieve.cascade.estimate.PrecisionTarget;
import io.sieve.cascade.estimate.StageCalibration;
import io.sieve.cascade.filter.CameraFilters;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.client.Topics;
import io.sieve.schemas.Frame;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.DriftCheck;
import io.sieve.schemas.DriftMeasure;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.PixelLayout;
import io.sieve.schemas.PrecisionProgress;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import io.sieve.schemas.QueryState;
import io.sieve.schemas.ThresholdProgress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Files;

class QueryTopologyTest {
    private static final Path FIXTURES = Path.of(System.getProperty("sieve.home", ".."), "cascade/src/test/resources/fixtures");

    private final Topics topics = new Topics("", "mock://queries-" + UUID.randomUUID());
    private final List<CascadeStage> stages = new ArrayList<>();
    private final Random random = new Random(5);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /** The true label of the i-th frame of a batch the test sends. */
    private java.util.function.IntUnaryOperator labelOf = i -> i % 10;
    private PipelineDriver driver;
    private TestOutputTopic<String, Progress> progress;

    @BeforeEach
    void start() {
        stages.add(new CascadeStage(0, false, OnnxClassifier.load(FIXTURES.resolve("tiny_logits.card.json"), 1),
                ConfidenceMeasure.MAX_PROBABILITY, 0.105, null));
        stages.add(new CascadeStage(1, true, OnnxClassifier.load(FIXTURES.resolve("tiny_softmax.card.json"), 1),
                ConfidenceMeasure.MAX_PROBABILITY, null, null));
        // Calibration claims stage 0 decides 0.1% of its frames: any real stream of these fixtures departs from that.
        var aggregation = new CascadeTopology.Aggregation(calibration(), Arrays.asList(new ExitProfile(100_000, 100, 5), null),
                Duration.ofMillis(500), 1);
        driver = new PipelineDriver(topics, stages, Set.of(0, 1), CameraFilters.everywhere(0), 0, aggregation, meters);
        progress = driver.progress();
    }

    private static List<StageCalibration> calibration() {
        int[][] confusion = new int[10][10];
        for (int i = 0; i < 10; i++) {
            confusion[i][i] = 60;
            confusion[i][(i + 1) % 10] = 40;
        }
        var reliability = new ReliabilityTable(List.of(new ReliabilityTable.Bin(0, 1, 100, 60)));
        return List.of(new StageCalibration(reliability, confusion), new StageCalibration(reliability, confusion));
    }

    @AfterEach
    void close() {
        driver.close();
        stages.forEach(CascadeStage::close);
    }

    @Test
    void aRetrospectiveQueryReportsDoneWithEveryFrameCountedOnce() {
        command("q1", QueryAction.START, QueryMode.RETROSPECTIVE, 30L, List.of());
        frames("cam-1", "q1", 30, 0);
        List<Progress> records = progress.readValuesToList();
        Progress last = records.get(records.size() - 1);
        assertThat(last.getState()).isEqualTo(QueryState.DONE);
        assertThat(last.getFramesSeen()).isEqualTo(30);
        assertThat(last.getFramesExpected()).isEqualTo(30);
        assertThat(last.getStages().get(0).getFramesIn()).isEqualTo(30);
        assertThat(last.getStages().get(0).getFramesDecided() + last.getStages().get(1).getFramesDecided()).isEqualTo(30);
        assertThat(last.getClasses()).hasSize(10);
        assertThat(last.getClasses().stream().mapToLong(c -> c.getPredicted()).sum()).isEqualTo(30);
        assertThat(last.getEstimatedAccuracy()).isBetween(last.getAccuracyLow(), last.getAccuracyHigh());
        assertThat(last.getTrueAccuracy()).isNotNull();
        assertThat(last.getClasses()).allSatisfy(c -> assertThat(c.getEstimate()).isBetween(c.getLow(), c.getHigh()));
        assertThat(last.getTargetClass()).isEqualTo("automobile");
    }

    @Test
    void aQueryAuditingEveryEarlyAnswerKnowsItsDisagreementWithTheLastStageExactly() {
        driver.command(QueryCommand.newBuilder().setQueryId("audited").setAction(QueryAction.START).setExpectedFrames(60L)
                .setAuditRate(1.0).setIssuedTime(Instant.now()).build());
        frames("cam-5", "audited", 60, 0);
        Progress done = last(progress.readValuesToList());
        assertThat(done.getState()).isEqualTo(QueryState.DONE);
        List<Prediction> predictions = driver.predictions();
        List<Prediction> early = predictions.stream().filter(p -> p.getDecidingStage() == 0).toList();
        long disagreeing = early.stream().filter(p -> p.getAudit().getLabel() != p.getLabel()).count();
        assertThat(early).isNotEmpty();
        assertThat(done.getAudit().getEarlyDecided()).isEqualTo(early.size());
        assertThat(done.getAudit().getAudited()).isEqualTo(early.size());
        assertThat(done.getAudit().getDisagreements()).isEqualTo(disagreeing);
        // Every frame seen and every early answer checked: nothing is left to chance.
        assertThat(done.getAudit().getDisagreement()).isCloseTo(disagreeing / 60.0, within(1e-9));
        assertThat(done.getAudit().getDisagreementLow()).isCloseTo(disagreeing / 60.0, within(1e-9));
        assertThat(done.getAudit().getDisagreementHigh()).isCloseTo(disagreeing / 60.0, within(1e-9));
        assertThat(done.getAudit().getScope()).isEqualTo("all 60 frames of the query");
        for (ClassEstimate c : done.getClasses()) {
            long byLastStage = predictions.stream()
                    .filter(p -> (p.getAudit() != null ? p.getAudit().getLabel() : p.getLabel()) == c.getLabel()).count();
            assertThat(c.getAuditedEstimate()).as(c.getName()).isCloseTo(byLastStage, within(1e-9));
        }
    }

    @Test
    void aStreamUnlikeTheCalibrationFramesRaisesTheDriftAlarmOnceWithItsFigures() {
        command("drifting", QueryAction.START, QueryMode.RETROSPECTIVE, 200L, List.of());
        frames("cam-7", "drifting", 200, 0);
        Progress done = last(progress.readValuesToList());
        long in = done.getStages().get(0).getFramesIn();
        long decided = done.getStages().get(0).getFramesDecided();
        assertThat(decided).as("the fixture's stage 0 decides some frames").isGreaterThan(10);
        DriftCheck exits = done.getDrift().stream().filter(c -> c.getMeasure() == DriftMeasure.EXIT_RATE).findFirst().orElseThrow();
        assertThat(exits.getAlarm()).isTrue();
        assertThat(exits.getObserved()).isCloseTo((double) decided / in, within(1e-12));
        assertThat(exits.getExpected()).isEqualTo(0.001);
        assertThat(exits.getEvidence()).isGreaterThanOrEqualTo(exits.getThreshold());
        assertThat(exits.getAlarmSinceFrames()).isBetween(1L, 200L);
        assertThat(done.getDrift()).hasSize(2).allSatisfy(c -> assertThat(c.getModel()).isEqualTo("tiny_logits"));
        assertThat(done.getDriftWarning()).contains("departs from the calibration frames", "stage 0 (tiny_logits): exit rate",
                "calibration 0.1%");
        assertThat(done.getDriftNote()).isNull();
        // Raised once, however many progress records carried it.
        assertThat(meters.get("sieve.query.drift.alarms").tags("stage", "0", "measure", "exit_rate").counter().count()).isEqualTo(1);
    }

    @Test
    void aQueryWithoutAuditSaysItCannotTellTheDisagreement() {
        driver.command(QueryCommand.newBuilder().setQueryId("unaudited").setAction(QueryAction.START).setExpectedFrames(40L)
                .setAuditRate(0.0).setIssuedTime(Instant.now()).build());
        frames("cam-6", "unaudited", 40, 0);
        Progress done = last(progress.readValuesToList());
        assertThat(driver.predictions()).anyMatch(p -> p.getDecidingStage() == 0).allSatisfy(p -> assertThat(p.getAudit()).isNull());
        assertThat(done.getAudit().getDisagreement()).isNull();
        assertThat(done.getAudit().getNote()).contains("could not be audited", "cannot tell");
        assertThat(done.getClasses()).allSatisfy(c -> assertThat(c.getAuditedEstimate()).isNull());
    }

    @Test
    void anAbortFinalisesTheQueryAtOnceAndItsLaterFramesAreNotRun() {
        command("q2", QueryAction.START, QueryMode.RETROSPECTIVE, 100L, List.of());
        frames("cam-2", "q2", 20, 0);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        Progress running = last(progress.readValuesToList());
        assertThat(running.getState()).isEqualTo(QueryState.RUNNING);
        assertThat(running.getFramesSeen()).isEqualTo(20);
        assertThat(running.getEtaSeconds()).isNotNull();

        command("q2", QueryAction.ABORT, QueryMode.RETROSPECTIVE, 100L, List.of());
        Progress aborted = last(progress.readValuesToList());
        assertThat(aborted.getState()).isEqualTo(QueryState.ABORTED);
        assertThat(aborted.getFramesSeen()).isEqualTo(20);
        assertThat(aborted.getEstimatedAccuracy()).isNotNull();

        frames("cam-2", "q2", 20, 20);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        assertThat(progress.isEmpty()).isTrue();
        assertThat(meters.get("sieve.stage.frames.skipped").tag("stage", "0").counter().count()).isEqualTo(20);
        assertThat(meters.get("sieve.stage.frames.in").tag("stage", "0").counter().count()).isEqualTo(20);
    }

    @Test
    void aQueryReachingItsPrecisionEndsDoneAtPrecisionAndItsLaterFramesAreNotRun() {
        // Stage 0's exit profile left out: drift is not checked, so nothing holds the query back.
        driver.close();
        driver = new PipelineDriver(topics, stages, Set.of(0, 1), CameraFilters.everywhere(0), 0,
                new CascadeTopology.Aggregation(calibration(), Arrays.asList(null, null), Duration.ofMillis(500), 1), meters);
        progress = driver.progress();
        driver.command(QueryCommand.newBuilder().setQueryId("precise").setAction(QueryAction.START).setExpectedFrames(2000L)
                .setTargetClass("automobile").setPrecisionShare(0.10).setIssuedTime(Instant.now()).build());
        int sent = 0;
        List<Progress> records = new ArrayList<>();
        while (sent < 2000 && records.stream().noneMatch(p -> p.getState() != QueryState.RUNNING)) {
            frames("cam-8", "precise", 50, sent);
            sent += 50;
            records.addAll(progress.readValuesToList());
        }
        Progress done = last(records);
        assertThat(done.getState()).isEqualTo(QueryState.DONE_AT_PRECISION);
        assertThat(done.getFramesSeen()).isBetween(PrecisionTarget.MIN_DECISIONS, 1999L);
        PrecisionProgress precision = done.getPrecision();
        assertThat(precision.getReached()).isTrue();
        assertThat(precision.getRequestedShare()).isEqualTo(0.10);
        assertThat(precision.getLevel()).isEqualTo(0.95);
        assertThat(precision.getScope()).isEqualTo("the count of automobile");
        ClassEstimate automobile = done.getClasses().stream().filter(c -> c.getName().equals("automobile")).findFirst().orElseThrow();
        assertThat(precision.getHalfWidth()).isEqualTo(Math.max(automobile.getEstimate() - automobile.getLow(),
                automobile.getHigh() - automobile.getEstimate()));
        assertThat(precision.getHalfWidth()).isLessThanOrEqualTo(0.10 * 2000);
        assertThat(precision.getShareHalfWidth()).isCloseTo(precision.getHalfWidth() / 2000, within(1e-12));
        List<QueryCommand> written = driver.commands().readValuesToList();
        assertThat(written).singleElement().satisfies(c -> {
            assertThat(c.getAction()).isEqualTo(QueryAction.STOP);
            assertThat(c.getQueryId()).isEqualTo("precise");
        });

        // Its producer stops on the STOP command; what it had already sent is not run, and the answer stays.
        double skippedBefore = skipped();
        frames("cam-8", "precise", 50, sent);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        assertThat(progress.isEmpty()).isTrue();
        assertThat(skipped() - skippedBefore).isEqualTo(50);
    }

    @Test
    void aQueryDoesNotStopAtItsPrecisionWhileTheDriftAlarmSaysItsIntervalsDoNotHold() {
        driver.command(QueryCommand.newBuilder().setQueryId("drifting-precise").setAction(QueryAction.START).setExpectedFrames(400L)
                .setTargetClass("automobile").setPrecisionShare(0.45).setIssuedTime(Instant.now()).build());
        frames("cam-9", "drifting-precise", 300, 0);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        Progress running = last(progress.readValuesToList());
        assertThat(running.getState()).isEqualTo(QueryState.RUNNING);
        assertThat(running.getDriftWarning()).isNotNull();
        assertThat(running.getPrecision().getReached()).as("narrow enough").isTrue();
        assertThat(running.getPrecision().getNote()).contains("drift alarm");
        frames("cam-9", "drifting-precise", 100, 300);
        assertThat(last(progress.readValuesToList()).getState()).isEqualTo(QueryState.DONE);
        assertThat(driver.commands().isEmpty()).isTrue();
    }

    @Test
    void aRefusedPrecisionRequestIsSaidAndTheQueryRunsToItsEnd() {
        driver.command(QueryCommand.newBuilder().setQueryId("bad-precision").setAction(QueryAction.START).setExpectedFrames(20L)
                .setPrecisionShare(2.0).setIssuedTime(Instant.now()).build());
        frames("cam-10", "bad-precision", 20, 0);
        Progress done = last(progress.readValuesToList());
        assertThat(done.getState()).isEqualTo(QueryState.DONE);
        assertThat(done.getPrecision().getNote()).contains("refused", "0.02 is +-2 points");
    }

    @Test
    void aQueryOverItsBudgetRaisesStageZerosThresholdAndItsLaterFramesExitOnlyAboveIt(@TempDir Path dir) throws Exception {
        // The fixtures share one network: a last stage that sees its input normalised far otherwise disagrees with stage 0.
        Files.copy(FIXTURES.resolve("tiny_softmax.onnx"), dir.resolve("tiny_softmax.onnx"));
        Files.writeString(dir.resolve("shifted.card.json"), Files.readString(FIXTURES.resolve("tiny_softmax.card.json"))
                .replace("\"name\": \"tiny_softmax\"", "\"name\": \"shifted\"").replaceFirst("0\\.5,\\s*0\\.5,\\s*0\\.5", "4.0, -4.0, 4.0"));
        stages.remove(1).close();
        stages.add(new CascadeStage(1, true, OnnxClassifier.load(dir.resolve("shifted.card.json"), 1), ConfidenceMeasure.MAX_PROBABILITY,
                null, null));
        // Every frame shows what the last stage says and stage 0 does not: each early answer costs a point of accuracy, over a budget of 0.
        labelOf = i -> 1;
        driver.close();
        driver = new PipelineDriver(topics, stages, Set.of(0, 1), CameraFilters.everywhere(0), 0, new CascadeTopology.Aggregation(calibration(),
                Arrays.asList(null, null), Duration.ofMillis(500), 1, 0.0, Arrays.asList(0.105, null), true), meters);
        progress = driver.progress();
        driver.command(QueryCommand.newBuilder().setQueryId("budgeted").setAction(QueryAction.START).setExpectedFrames(2000L)
                .setAuditRate(1.0).setSeed(11).setIssuedTime(Instant.now()).build());
        frames("cam-11", "budgeted", 300, 0);
        List<Prediction> before = driver.predictions();
        assertThat(before.stream().filter(p -> p.getDecidingStage() == 0 && p.getAudit().getLabel() != p.getLabel()))
                .as("stage 0's audited answers the last stage disagrees with").isNotEmpty();
        driver.advanceWallClockTime(Duration.ofMillis(600));
        Progress corrected = last(progress.readValuesToList());
        ThresholdProgress thresholds = corrected.getThresholds();
        assertThat(thresholds.getBudget()).isEqualTo(0.0);
        assertThat(thresholds.getMeasure()).isEqualTo("accuracy loss");
        assertThat(thresholds.getChanges()).singleElement().satisfies(c -> {
            assertThat(c.getStage()).isZero();
            assertThat(c.getFrom()).isEqualTo(0.105);
            assertThat(c.getTo() == null || c.getTo() > 0.105).as("raised to %s", c.getTo()).isTrue();
            assertThat(c.getFrames()).isEqualTo(300);
            assertThat(c.getLossLow()).isGreaterThan(0);
        });
        Double raised = thresholds.getChanges().get(0).getTo();
        assertThat(thresholds.getStages()).singleElement().satisfies(t -> {
            assertThat(t.getCalibrated()).isEqualTo(0.105);
            assertThat(t.getCurrent()).isEqualTo(raised);
        });
        QueryCommand sent = last(driver.commands().readValuesToList());
        assertThat(sent.getAction()).isEqualTo(QueryAction.START);
        assertThat(sent.getAuditRate()).as("the query's own settings carried on").isEqualTo(1.0);
        assertThat(sent.getSeed()).isEqualTo(11);
        assertThat(sent.getStageThresholds()).containsExactly(raised == null ? Double.POSITIVE_INFINITY : raised, null);
        assertThat(meters.get("sieve.query.threshold.changes").tag("direction", "raised").counter().count()).isEqualTo(1);

        frames("cam-11", "budgeted", 200, 300);
        List<Prediction> after = driver.predictions();
        assertThat(after).hasSize(200).allSatisfy(p -> assertThat(p.getDecidingStage() != 0 || (raised != null && p.getConfidence() >= raised))
                .as("frame %d decided by stage %d at confidence %s", p.getSequence(), p.getDecidingStage(), p.getConfidence()).isTrue());
    }

    @Test
    void aQueryThatSaysNoKeepsCalibrationsThresholdsAndTheRecordSaysWhy() {
        driver.close();
        driver = new PipelineDriver(topics, stages, Set.of(0, 1), CameraFilters.everywhere(0), 0, new CascadeTopology.Aggregation(calibration(),
                Arrays.asList(null, null), Duration.ofMillis(500), 1, 0.0, Arrays.asList(0.105, null), true), meters);
        progress = driver.progress();
        driver.command(QueryCommand.newBuilder().setQueryId("fixed").setAction(QueryAction.START).setExpectedFrames(2000L)
                .setAuditRate(1.0).setSelfCorrect(false).setIssuedTime(Instant.now()).build());
        frames("cam-12", "fixed", 300, 0);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        ThresholdProgress thresholds = last(progress.readValuesToList()).getThresholds();
        assertThat(thresholds.getChanges()).isEmpty();
        assertThat(thresholds.getNote()).contains("off for this query");
        assertThat(driver.commands().isEmpty()).isTrue();
    }

    private double skipped() {
        return meters.find("sieve.stage.frames.skipped").tag("stage", "0").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void aMalformedQueryCommandIsSetAsideAndTheNextOneStillWorks() {
        driver.rawCommand("q-bad", new byte[] {0, 0, 0, 0, 1, (byte) 0xff, (byte) 0xff});
        // Kafka Streams' default handler would stop the application here; the configured one logs and goes on.
        command("q4", QueryAction.START, QueryMode.RETROSPECTIVE, 5L, List.of());
        frames("cam-4", "q4", 5, 0);
        assertThat(last(progress.readValuesToList()).getState()).isEqualTo(QueryState.DONE);
    }

    @Test
    void aLiveQueryCountsTheFramesOfItsCamerasOnly() {
        command("q3", QueryAction.START, QueryMode.LIVE, null, List.of("cam-live"));
        frames("cam-live", null, 10, 0);
        frames("cam-other", null, 10, 0);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        Progress last = last(progress.readValuesToList());
        assertThat(last.getQueryId()).isEqualTo("q3");
        assertThat(last.getFramesSeen()).isEqualTo(10);
        assertThat(last.getState()).isEqualTo(QueryState.RUNNING);
    }

    @Test
    void framesNamingAQueryNotYetStartedAreClassifiedAndCountedOnceItsStartArrives() {
        frames("cam-5", "q5", 10, 0);
        assertThat(driver.predictions()).hasSize(10).allSatisfy(p -> assertThat(p.getQueryId()).isEqualTo("q5"));
        assertThat(progress.readValuesToList()).noneMatch(p -> p.getState() != QueryState.RUNNING);

        // The producer raced its own start command: nothing it sent before the command is lost.
        command("q5", QueryAction.START, QueryMode.RETROSPECTIVE, 15L, List.of());
        frames("cam-5", "q5", 5, 10);
        Progress done = last(progress.readValuesToList());
        assertThat(done.getState()).isEqualTo(QueryState.DONE);
        assertThat(done.getFramesSeen()).isEqualTo(15);
    }

    @Test
    void aLiveQueryOfACameraThatSendsNothingReportsZeroFramesRatherThanOtherCamerasFrames() {
        command("q6", QueryAction.START, QueryMode.LIVE, null, List.of("cam-nowhere"));
        frames("cam-elsewhere", null, 10, 0);
        driver.advanceWallClockTime(Duration.ofMillis(600));
        Progress last = last(progress.readValuesToList());
        assertThat(last.getQueryId()).isEqualTo("q6");
        assertThat(last.getState()).isEqualTo(QueryState.RUNNING);
        assertThat(last.getFramesSeen()).isZero();
    }

    @Test
    void framesWithNothingInViewAreCountedApartAndLeftOutOfClassesAndAccuracy() {
        driver.close();
        driver = new PipelineDriver(topics, stages, Set.of(0, 1), CameraFilters.parse("1", "cam-scene"), 1,
                new CascadeTopology.Aggregation(calibration(), Arrays.asList(new ExitProfile(100_000, 100, 5), null), Duration.ofMillis(500), 1),
                meters);
        progress = driver.progress();
        command("scene", QueryAction.START, QueryMode.LIVE, null, List.of("cam-scene"));
        byte[] empty = new byte[32 * 32 * 3];
        byte[] object = new byte[32 * 32 * 3];
        random.nextBytes(empty);
        random.nextBytes(object);
        // The empty scene (no truth), an object of class 3 for 12 frames, the empty scene again: now known, its frames
        // have nothing in view; the truth of one of them says an object was there after all.
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            boolean objectInView = i >= 3 && i < 15;
            Integer truth = objectInView ? Integer.valueOf(3) : i == 18 ? Integer.valueOf(5) : null;
            frames.add(Frame.newBuilder().setCameraId("cam-scene").setSequence(i).setCaptureTime(Instant.now()).setWidth(32).setHeight(32)
                    .setChannels(3).setLayout(PixelLayout.HWC).setPixels(ByteBuffer.wrap(objectInView ? object : empty)).setLabel(truth).build());
        }
        driver.pipe(0, new FrameBatch("cam-scene", frames));
        driver.advanceWallClockTime(Duration.ofMillis(600));
        Progress last = last(progress.readValuesToList());
        assertThat(last.getFramesSeen()).isEqualTo(20);
        assertThat(last.getFramesNothingInView()).isEqualTo(5);
        assertThat(last.getNothingInViewLabelled()).isEqualTo(1);
        // Two scenes ran the models (the empty one before it was known, and the object); their followers took their answers.
        assertThat(last.getClasses().stream().mapToLong(ClassEstimate::getPredicted).sum()).isEqualTo(2);
        // The calibration's smoothed confusion rows do not sum to exactly 1: the counts add up to about the 15 frames, not 20.
        assertThat(last.getClasses().stream().mapToDouble(ClassEstimate::getEstimate).sum()).as("of the 15 frames with something to count")
                .isCloseTo(15, within(1.0));
        assertThat(last.getStages().get(0).getFramesIn()).isEqualTo(2);
        // Every early answer audited: the audit's counts are exact, and of the same 15 frames.
        assertThat(last.getClasses().stream().mapToDouble(ClassEstimate::getAuditedEstimate).sum()).isCloseTo(15, within(1e-6));
        assertThat(last.getAudit().getScope()).isEqualTo("frames seen so far");
    }

    private static <T> T last(List<T> records) {
        assertThat(records).isNotEmpty();
        return records.get(records.size() - 1);
    }

    private void command(String id, QueryAction action, QueryMode mode, Long expected, List<String> cameras) {
        QueryCommand command = QueryCommand.newBuilder().setQueryId(id).setAction(action).setMode(mode).setCameras(cameras)
                .setExpectedFrames(expected).setTargetClass("automobile").setIssuedTime(Instant.now()).build();
        driver.command(command);
    }

    private void frames(String camera, String queryId, int n, int firstSequence) {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[32 * 32 * 3];
            random.nextBytes(pixels);
            frames.add(Frame.newBuilder().setCameraId(camera).setSequence(firstSequence + i).setCaptureTime(Instant.now())
                    .setWidth(32).setHeight(32).setChannels(3).setLayout(PixelLayout.HWC).setPixels(ByteBuffer.wrap(pixels))
                    .setLabel(labelOf.applyAsInt(i)).setQueryId(queryId).setQueryPosition(queryId == null ? null : (long) firstSequence + i).build());
        }
        driver.pipe(0, new FrameBatch(camera, frames));
    }
}

package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sieve.cascade.filter.CameraFilters;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.client.FramePixels;
import io.sieve.client.Topics;
import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.images.ImageCodec;
import io.sieve.images.LabelledImages;
import io.sieve.images.PixelEncoding;
import io.sieve.producer.SceneSource;
import io.sieve.producer.SourceFrame;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live estimate on scene cameras, through the topology production runs: two cameras per seed,
 * CIFAR-10 test images coming and going over an empty scene with noise, drifting light and shakes
 * (frames unlike the calibration frames on purpose), the difference filter at the threshold
 * EVALUATION.md chose and the cameras learning their background, the light cascade. For each of
 * {@link #SEEDS} seeds the query's 95% accuracy interval must hold its true accuracy at the end,
 * in at least {@link #MIN_COVERED} of them (a binomial with p = 0.95 falls below that with
 * probability 1.6%), as must the interval for the number of frames showing the query's target
 * class (automobiles) hold the true number; and no object may be taken for the background.
 */
@Tag("integration")
class SceneEstimateIT {
    static final int SEEDS = 20;
    static final int MIN_COVERED = 17;
    static final int FRAMES_PER_CAMERA = 2500;
    /** Frames per record, as a live producer sends a 12.5 frames/s camera's (about 300 ms). */
    static final int RECORD_FRAMES = 4;
    static final String TARGET = "automobile";

    @Test
    void theAccuracyIntervalOfALiveSceneQueryHoldsItsTrueAccuracy() {
        Path home = Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath();
        LabelledImages objects;
        try {
            objects = Cifar10.test(Cifar10.locate(Cifar10.defaultLocations(home, System.getenv())));
        } catch (DataException e) {
            Assumptions.abort("skipped: " + e.getMessage());
            return;
        }
        int covered = 0;
        int countsCovered = 0;
        StringBuilder table = new StringBuilder("| seed | frames | empty by the truth | nothing in view | model decisions | accuracy [95%] | true | automobiles [95%] | true | drift alarm |\n"
                + "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        try (Cascade cascade = Cascade.load(home.resolve("models/cascades/light.cascade.json"), 1)) {
            var aggregation = CascadeTopology.Aggregation.of(cascade.definition(), Duration.ofMillis(500), 1);
            for (long seed = 1; seed <= SEEDS; seed++) {
                long[] truth = new long[2];
                Progress last = run(cascade, aggregation, objects, seed, truth);
                long empty = truth[0];
                long automobiles = truth[1];
                var target = last.getClasses().get(cascade.stages().get(0).model().card().classes().indexOf(TARGET));
                boolean countInside = automobiles >= target.getLow() && automobiles <= target.getHigh();
                countsCovered += countInside ? 1 : 0;
                boolean inside = last.getTrueAccuracy() >= last.getAccuracyLow() && last.getTrueAccuracy() <= last.getAccuracyHigh();
                covered += inside ? 1 : 0;
                long decisions = last.getStages().stream().mapToLong(s -> s.getFramesDecided()).sum();
                table.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %.1f%% [%.1f, %.1f] | %.1f%%%s | %.0f [%.0f, %.0f] | %d%s | %s |%n", seed,
                        last.getFramesSeen(), empty, last.getFramesNothingInView(), decisions, 100 * last.getEstimatedAccuracy(),
                        100 * last.getAccuracyLow(), 100 * last.getAccuracyHigh(), 100 * last.getTrueAccuracy(), inside ? "" : " (outside)",
                        target.getEstimate(), target.getLow(), target.getHigh(), automobiles, countInside ? "" : " (outside)",
                        last.getDriftWarning() == null ? "no" : "yes"));
                assertThat(last.getNothingInViewLabelled()).as("objects taken for the background, seed %d", seed).isZero();
                assertThat(last.getFramesNothingInView()).as("frames with nothing in view, seed %d", seed).isPositive();
            }
        }
        System.out.println(table);
        assertThat(covered).as("seeds whose interval holds the true accuracy, of " + SEEDS + ":\n" + table).isGreaterThanOrEqualTo(MIN_COVERED);
        assertThat(countsCovered).as("seeds whose interval holds the true number of " + TARGET + " frames, of " + SEEDS + ":\n" + table)
                .isGreaterThanOrEqualTo(MIN_COVERED);
    }

    /**
     * Runs one seed's cameras through the topology; counts the frames whose truth is an empty scene
     * into {@code truth[0]}, those that show the target class into {@code truth[1]}.
     */
    private static Progress run(Cascade cascade, CascadeTopology.Aggregation aggregation, LabelledImages objects, long seed, long[] truth) {
        int target = objects.classes().indexOf(TARGET);
        Topics topics = new Topics("", "mock://scene-" + UUID.randomUUID());
        List<String> cameras = List.of("scene-1", "scene-2");
        try (PipelineDriver driver = new PipelineDriver(topics, cascade.stages(), Set.of(0, 1), CameraFilters.parse("20", "*"),
                cascade.definition().effectiveAuditRate(), aggregation, new SimpleMeterRegistry())) {
            var progress = driver.progress();
            driver.command(QueryCommand.newBuilder().setQueryId("scenes").setAction(QueryAction.START).setMode(QueryMode.LIVE)
                    .setCameras(cameras).setTargetClass(TARGET).setIssuedTime(Instant.now()).build());
            List<SceneSource> sources = cameras.stream()
                    .map(id -> new SceneSource(id, objects, 32, 32, 12.5, seed, FRAMES_PER_CAMERA)).toList();
            for (int sent = 0; sent < FRAMES_PER_CAMERA; sent += RECORD_FRAMES) {
                for (SceneSource source : sources) {
                    List<Frame> frames = new ArrayList<>();
                    for (int i = 0; i < RECORD_FRAMES; i++) {
                        SourceFrame f = source.next();
                        if (f != null) {
                            truth[0] += f.label() == null ? 1 : 0;
                            truth[1] += f.label() != null && f.label() == target ? 1 : 0;
                            frames.add(FramePixels.withImage(Frame.newBuilder(), f.image(), PixelEncoding.RAW, ImageCodec.DEFAULT_JPEG_QUALITY)
                                    .setCameraId(f.cameraId()).setSequence(f.sequence()).setCaptureTime(f.captureTime()).setLabel(f.label())
                                    .build());
                        }
                    }
                    if (!frames.isEmpty()) {
                        driver.pipe(0, new FrameBatch(frames.get(0).getCameraId(), frames));
                    }
                }
            }
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            List<Progress> records = progress.readValuesToList();
            assertThat(records).isNotEmpty();
            Progress last = records.get(records.size() - 1);
            assertThat(last.getFramesSeen()).isEqualTo(2L * FRAMES_PER_CAMERA);
            return last;
        }
    }
}

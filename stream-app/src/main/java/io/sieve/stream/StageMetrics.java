package io.sieve.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One stage's meters: frames in, exited (decided here), passed on, audited (labelled by the last
 * stage beside an earlier stage's answer), dead-lettered, and the model time per frame. Exposed as {@code sieve_stage_*} on the Prometheus endpoint.
 */
final class StageMetrics {
    private final MeterRegistry registry;
    private final String stage;
    private final String model;
    private final Counter framesIn;
    private final Counter exited;
    private final Counter passed;
    private final DistributionSummary inferenceMicros;
    private final DistributionSummary batchSize;
    private final Counter skippedAborted;
    private final Counter reused;
    private final Counter audited;
    private final Counter nothingInView;
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();

    StageMetrics(MeterRegistry registry, int stage, String model) {
        this.registry = registry;
        this.stage = Integer.toString(stage);
        this.model = model;
        this.framesIn = Counter.builder("sieve.stage.frames.in").tags("stage", this.stage, "model", model).register(registry);
        this.exited = Counter.builder("sieve.stage.frames.exited").description("frames this stage decided")
                .tags("stage", this.stage, "model", model).register(registry);
        this.passed = Counter.builder("sieve.stage.frames.passed").description("frames passed on to the next stage")
                .tags("stage", this.stage, "model", model).register(registry);
        this.inferenceMicros = DistributionSummary.builder("sieve.stage.inference.micros")
                .description("model time per frame (a batch's time divided by its size)").baseUnit("microseconds")
                .publishPercentiles(0.5, 0.9, 0.99).tags("stage", this.stage, "model", model).register(registry);
        this.skippedAborted = Counter.builder("sieve.stage.frames.skipped").description("frames of aborted queries or queries stopped at their precision, not run")
                .tags("stage", this.stage, "model", model).register(registry);
        this.reused = Counter.builder("sieve.stage.frames.reused")
                .description("frames that took an earlier frame's result through the difference filter")
                .tags("stage", this.stage, "model", model).register(registry);
        this.nothingInView = Counter.builder("sieve.stage.frames.nothing.in.view")
                .description("frames that showed their camera's learned background: decided with no model run")
                .tags("stage", this.stage, "model", model).register(registry);
        this.audited = Counter.builder("sieve.stage.frames.audited")
                .description("frames decided by an earlier stage that this (last) stage labelled for the live audit")
                .tags("stage", this.stage, "model", model).register(registry);
        this.batchSize = DistributionSummary.builder("sieve.stage.batch.frames").description("frames per model call")
                .tags("stage", this.stage, "model", model).register(registry);
    }

    /** A model call on {@code frames} frames: {@code auditedFrames} of them labelled for the audit, the rest to be decided. */
    void batch(int frames, int exitedFrames, int auditedFrames, long microsPerFrame) {
        framesIn.increment(frames - auditedFrames);
        exited.increment(exitedFrames);
        passed.increment(frames - auditedFrames - exitedFrames);
        audited.increment(auditedFrames);
        batchSize.record(frames);
        for (int i = 0; i < frames; i++) {
            inferenceMicros.record(microsPerFrame);
        }
    }

    void reused(int frames) {
        reused.increment(frames);
    }

    void nothingInView(int frames) {
        nothingInView.increment(frames);
    }

    void skippedAborted() {
        skippedAborted.increment();
    }

    void deadLetter(String reasonKind) {
        deadLetters.computeIfAbsent(reasonKind, r -> Counter.builder("sieve.stage.dead.letters")
                .tags("stage", stage, "model", model, "reason", r).register(registry)).increment();
    }
}

package io.sieve.cascade.evaluation;

import io.sieve.images.LabelledImages;
import io.sieve.images.Image;
import io.sieve.cascade.runtime.AuditCoin;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.CascadeRouter;
import io.sieve.cascade.runtime.StageDecision;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A cascade run in-process over a labelled set, timed end to end (every stage's preprocessing,
 * inference and routing), batch by batch as the stream app would see frames.
 *
 * @param exits   frames decided by each stage
 * @param reached frames each stage saw
 * @param decided [frame] the label the cascade gave it
 * @param decidingStage [frame] the stage that decided it
 * @param audits  frames an early stage decided that the last stage labelled too, for the live audit
 */
public record CascadeRun(int n, int correct, int[] exits, int[] reached, int[] decided, int[] decidingStage, int audits, double wallMs) {
    /** The camera id the audit's coin draws for in-process frames, numbered by their position in the data. */
    static final String IN_PROCESS_CAMERA = "in-process";

    public static CascadeRun run(Cascade cascade, LabelledImages data, int batch, IntConsumer progress) {
        return run(cascade, data, batch, 0, progress);
    }

    /**
     * Runs the cascade with the stream app's live audit: each frame an early stage decides is, with
     * chance {@code auditRate} (the audit's coin over its position), labelled by the last stage too,
     * so that the in-process run does the same model work as the stream app.
     */
    public static CascadeRun run(Cascade cascade, LabelledImages data, int batch, double auditRate, IntConsumer progress) {
        int stages = cascade.stages().size();
        int[] exits = new int[stages];
        int[] reached = new int[stages];
        int[] decided = new int[data.size()];
        int[] decidingStage = new int[data.size()];
        int correct = 0;
        int audits = 0;
        cascade.classify(data.images().subList(0, Math.min(batch, data.size())));
        long started = System.nanoTime();
        for (int start = 0; start < data.size(); start += batch) {
            List<Image> images = data.images().subList(start, Math.min(data.size(), start + batch));
            CascadeRouter.FrameTask[] tasks = new CascadeRouter.FrameTask[images.size()];
            for (int i = 0; i < tasks.length; i++) {
                tasks[i] = AuditCoin.picked(auditRate, 0, null, IN_PROCESS_CAMERA, start + i)
                        ? CascadeRouter.FrameTask.DECIDE_AND_AUDIT : CascadeRouter.FrameTask.DECIDE;
            }
            List<CascadeRouter.FrameRoute> routes = cascade.route(images, tasks).frames();
            for (int i = 0; i < routes.size(); i++) {
                List<StageDecision> trail = routes.get(i).trail();
                StageDecision last = trail.get(trail.size() - 1);
                for (StageDecision d : trail) {
                    reached[d.stage()]++;
                }
                exits[last.stage()]++;
                audits += routes.get(i).auditStatus() == CascadeRouter.AuditStatus.DONE ? 1 : 0;
                decided[start + i] = last.label();
                decidingStage[start + i] = last.stage();
                correct += last.label() == data.labels()[start + i] ? 1 : 0;
            }
            progress.accept(images.size());
        }
        return new CascadeRun(data.size(), correct, exits, reached, decided, decidingStage, audits, (System.nanoTime() - started) / 1e6);
    }

    public double accuracy() {
        return (double) correct / n;
    }

    public double msPerFrame() {
        return wallMs / n;
    }

    /** Share of the frames reaching stage {@code s} that go on to stage {@code s + 1}. */
    public double passThrough(int s) {
        return reached[s] == 0 ? 0 : (double) reached[s + 1] / reached[s];
    }
}

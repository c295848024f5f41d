package io.sieve.cli;

import io.sieve.cascade.filter.DifferenceFilter;
import io.sieve.cascade.filter.FilterEvaluation;
import io.sieve.images.Image;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.producer.FrameSource;
import io.sieve.producer.SourceFrame;
import io.sieve.producer.Sources;
import io.sieve.producer.VideoSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "filter", mixinStandardHelpOptions = true,
        description = {"Calibrate the difference filter on a video or a folder of frames: the threshold that saves the most expensive-model calls",
            "while agreeing with the expensive model run on every frame at least --agreement of the time; then the whole",
            "cascade behind that filter. Set the result as sieve.filter.threshold for live cameras."})
final class FilterCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--video", description = "Video file or URL (decoded by ffmpeg).")
        String video;

        @Option(names = "--images", description = "A folder of PNG/JPEG images, in path order (e.g. frames of a fixed camera; DIR/<class>/ layout too).")
        Path images;
    }

    @Option(names = "--model", defaultValue = "resnet20", description = "The expensive model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "Cascade to run behind the filter (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Option(names = "--batch", defaultValue = "64", description = "Frames per record as the producer would send them (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--agreement", defaultValue = "0.99", description = "Minimum label agreement (default: ${DEFAULT-VALUE}).")
    double agreement;

    @Override
    public Integer call() {
        ModelCards cards = ModelCards.ofCascade(cascade);
        FrameSize size = cards.frameSize();
        List<Image> frames = new ArrayList<>();
        String video = input.video != null ? input.video : input.images.toString();
        try (FrameSource source = input.video != null ? new VideoSource(input.video, "camera", size.width(), size.height(), null)
                : Sources.imageFolder(input.images, "camera", size.width(), size.height(), cards.classes())) {
            for (SourceFrame f = source.next(); f != null; f = source.next()) {
                frames.add(f.image());
            }
        }
        int[] expensive;
        try (OnnxClassifier stage = OnnxClassifier.load(ModelOptions.card(model), 2)) {
            List<ClassProbabilities> predictions = stage.predict(frames);
            expensive = predictions.stream().mapToInt(ClassProbabilities::label).toArray();
        }
        double[] thresholds = {0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30};
        List<FilterEvaluation.Point> points = FilterEvaluation.sweep(frames, expensive, batch, thresholds);
        System.out.printf("%d frames of %s, batches of %d; agreement with %s on every frame%n%n", frames.size(), video, batch, model);
        System.out.println("| threshold (mean abs. difference) | model calls | fewer calls | agreement |");
        System.out.println("| ---: | ---: | ---: | ---: |");
        for (FilterEvaluation.Point p : points) {
            System.out.printf("| %.1f | %d | %.1fx | %.2f%% |%n", p.threshold(), p.modelCalls(), p.reduction(), 100 * p.agreement());
        }
        FilterEvaluation.Point best = FilterEvaluation.best(points, agreement);
        if (best == null) {
            System.out.printf("%nNo threshold reaches %.1f%% agreement.%n", 100 * agreement);
            return 1;
        }
        System.out.printf("%nChosen: threshold %.1f: %d of %d frames run %s (%.1fx fewer calls) at %.2f%% agreement.%n",
                best.threshold(), best.modelCalls(), best.frames(), model, best.reduction(), 100 * best.agreement());
        cascadeBehindFilter(frames, expensive, best.threshold());
        return 0;
    }

    /** The cascade on the filter's reference frames: how many reach its last (expensive) stage, and overall agreement. */
    private void cascadeBehindFilter(List<Image> frames, int[] expensive, double threshold) {
        DifferenceFilter filter = new DifferenceFilter(threshold);
        int lastStageCalls = 0;
        int agree = 0;
        try (Cascade c = Cascade.load(cascade, 2)) {
            int last = c.stages().size() - 1;
            for (int start = 0; start < frames.size(); start += batch) {
                List<Image> chunk = frames.subList(start, Math.min(frames.size(), start + batch));
                int[] refs = filter.references(chunk);
                List<Image> references = new ArrayList<>();
                List<Integer> positions = new ArrayList<>();
                for (int i = 0; i < refs.length; i++) {
                    if (refs[i] == i) {
                        positions.add(i);
                        references.add(chunk.get(i));
                    }
                }
                List<List<StageDecision>> trails = c.classify(references);
                int[] labels = new int[chunk.size()];
                for (int r = 0; r < trails.size(); r++) {
                    StageDecision decision = trails.get(r).get(trails.get(r).size() - 1);
                    labels[positions.get(r)] = decision.label();
                    lastStageCalls += decision.stage() == last ? 1 : 0;
                }
                for (int i = 0; i < refs.length; i++) {
                    agree += labels[refs[i]] == expensive[start + i] ? 1 : 0;
                }
            }
            System.out.printf("Cascade %s behind the filter: %d of %d frames reach its last stage (%.1fx fewer expensive calls), "
                            + "%.2f%% agreement with %s on every frame.%n", c.name(), lastStageCalls, frames.size(),
                    (double) frames.size() / Math.max(1, lastStageCalls), 100.0 * agree / frames.size(), model);
        }
    }
}

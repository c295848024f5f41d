package io.sieve.cli;

import io.sieve.cascade.filter.DifferenceFilter;
import io.sieve.cascade.filter.FilterEvaluation;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.ModelChain;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import io.sieve.producer.FrameSource;
import io.sieve.producer.SceneSource;
import io.sieve.producer.SourceFrame;
import io.sieve.producer.Sources;
import io.sieve.producer.VideoSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "filter", mixinStandardHelpOptions = true,
        description = {"Calibrate the difference filter: the threshold that saves the most model calls while the cascade behind it still",
            "agrees with the cascade on every frame. On a video or a folder of frames, against the cascade's own labels; on scene",
            "cameras (--scene), chosen on the first --seeds seed and measured on the others, against the cascade, the expensive",
            "model and the truth. Set the result as sieve.filter.threshold for live cameras, for all of them (20) or for those",
            "it was chosen for (0,lobby-*=20); sieve.filter.background=lobby-* lets them learn their empty scene too."})
final class FilterCommand implements Callable<Integer> {
    static final double[] THRESHOLDS = {1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30};
    private static final int MODEL_BATCH = 256;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--video", description = "Video file or URL (decoded by ffmpeg).")
        String video;

        @Option(names = "--images", description = "A folder of PNG/JPEG images, in path order (e.g. frames of a fixed camera; DIR/<class>/ layout too).")
        Path images;

        @Option(names = "--scene", paramLabel = "OBJECTS", description = "Scene cameras with known truth showing labelled objects: 'test' "
                + "(CIFAR-10's test batch) or a folder DIR/<class>/*.png.")
        String scene;
    }

    @Option(names = "--model", defaultValue = "resnet20", description = "The expensive model run on every frame for comparison (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "Cascade behind the filter (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Option(names = "--agreement", defaultValue = "0.99", description = "Minimum agreement with the cascade on every frame; with --scene, "
            + "as a share of the most any filter can reach, the cascade's agreement with itself within one scene (default: ${DEFAULT-VALUE}).")
    double agreement;

    @Option(names = "--cameras", defaultValue = "4", description = "With --scene: cameras per seed (default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--frames", defaultValue = "3000", description = "With --scene: frames per camera (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--fps", defaultValue = "12.5", description = "With --scene: the cameras' frame rate (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3,4", description = "With --scene: the seed the threshold is chosen on, "
            + "then the seeds it is measured on (default: ${DEFAULT-VALUE}).")
    long[] seeds;

    /** Cameras' frames in order, with the truth of each frame where it is known (null: empty scene, or no truth at all). */
    private record Footage(String what, List<List<Image>> cameras, List<Integer[]> truth) {
        int size() {
            return cameras.stream().mapToInt(List::size).sum();
        }
    }

    /** Per camera and frame, without the filter: the cascade's label, whether it took the expensive stage, and the expensive model's label. */
    private record Labels(List<int[]> cascade, List<boolean[]> expensiveStage, List<int[]> expensive) {
    }

    /** One threshold on one footage, every figure against running the cascade (or the expensive model) on every frame. */
    record Measured(double threshold, int frames, int modelCalls, int expensiveCalls, int cascadeExpensiveCalls, double agreement,
                    double ceiling, double expensiveAgreement, double accuracy, double cascadeAccuracy, double expensiveAccuracy,
                    int acrossScenes) {
        double reduction() {
            return (double) frames / modelCalls;
        }
    }

    @Override
    public Integer call() {
        ModelCards cards = ModelCards.ofCascade(cascade);
        if (input.scene != null) {
            return scenes(cards);
        }
        Footage footage = recorded(cards);
        Labels labels = label(footage);
        List<Measured> sweep = sweep(footage, labels);
        System.out.printf("%d frames of %s; agreement with the cascade %s on every frame%n%n", footage.size(), footage.what(),
                cascade.getFileName());
        printSweep(sweep, false);
        Measured chosen = choose(sweep, false);
        if (chosen == null) {
            System.out.printf("%nNo threshold reaches %.1f%% agreement.%n", 100 * agreement);
            return 1;
        }
        System.out.printf("%nChosen: threshold %.1f: %d of %d frames run the cascade (%.1fx fewer model calls), %d reach its expensive stage "
                        + "(%d without the filter; %.1fx fewer %s calls than %s on every frame), %.2f%% agreement with the cascade, "
                        + "%.2f%% with %s.%n", chosen.threshold(), chosen.modelCalls(), chosen.frames(), chosen.reduction(),
                chosen.expensiveCalls(), chosen.cascadeExpensiveCalls(), (double) chosen.frames() / Math.max(1, chosen.expensiveCalls()),
                model, model, 100 * chosen.agreement(), 100 * chosen.expensiveAgreement(), model);
        return 0;
    }

    private int scenes(ModelCards cards) {
        if (seeds.length < 2) {
            throw new IllegalArgumentException("--seeds needs the seed to choose the threshold on and at least one to measure it on, got "
                    + seeds.length);
        }
        FrameSize size = cards.frameSize();
        LabelledImages objects = ProduceCommand.sceneObjects(input.scene, cards, size, cascade);
        Footage choosing = sceneFootage(objects, size, seeds[0]);
        List<Measured> chosenOn = sweep(choosing, label(choosing));
        System.out.printf("Choosing on seed %d: %d cameras x %d frames at %.1f fps; agreement with the cascade %s on every frame, and the most "
                + "any filter can reach (the cascade's agreement with its own majority label of each scene)%n%n", seeds[0], cameras, frames, fps,
                cascade.getFileName());
        printSweep(chosenOn, true);
        Measured chosen = choose(chosenOn, true);
        if (chosen == null) {
            System.out.printf("%nNo threshold reaches %.1f%% of the reachable agreement.%n", 100 * agreement);
            return 1;
        }
        System.out.printf("%nChosen on seed %d: threshold %.1f (agreement %.2f%% of the reachable %.2f%%)%n%n", seeds[0], chosen.threshold(),
                100 * chosen.agreement(), 100 * chosen.ceiling());
        System.out.printf("Held-out seeds at threshold %.1f (the cascade and %s run on every frame for comparison):%n%n", chosen.threshold(), model);
        System.out.println("| seed | frames | model calls | fewer calls | " + model + " calls (cascade without filter) | fewer than " + model
                + " on every frame | agreement with cascade (reachable) | agreement with " + model + " | accuracy: filter / cascade / " + model
                + " | frames labelled across a scene change |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int s = 1; s < seeds.length; s++) {
            Footage heldOut = sceneFootage(objects, size, seeds[s]);
            Measured m = measure(heldOut, label(heldOut), chosen.threshold());
            System.out.printf("| %d | %d | %d | %.1fx | %d (%d) | %.1fx | %.2f%% (%.2f%%) | %.2f%% | %.2f%% / %.2f%% / %.2f%% | %d |%n", seeds[s],
                    m.frames(), m.modelCalls(), m.reduction(), m.expensiveCalls(), m.cascadeExpensiveCalls(),
                    (double) m.frames() / Math.max(1, m.expensiveCalls()), 100 * m.agreement(), 100 * m.ceiling(),
                    100 * m.expensiveAgreement(), 100 * m.accuracy(), 100 * m.cascadeAccuracy(), 100 * m.expensiveAccuracy(),
                    m.acrossScenes());
        }
        System.out.println();
        System.out.println("Accuracy is on frames with an object in view; agreement on every frame, empty scenes included.");
        return 0;
    }

    private Footage sceneFootage(LabelledImages objects, FrameSize size, long seed) {
        List<List<Image>> all = new ArrayList<>();
        List<Integer[]> truth = new ArrayList<>();
        for (int c = 0; c < cameras; c++) {
            List<Image> images = new ArrayList<>(frames);
            Integer[] labels = new Integer[frames];
            try (SceneSource source = new SceneSource("camera-" + (c + 1), objects, size.width(), size.height(), fps, seed, frames)) {
                for (SourceFrame f = source.next(); f != null; f = source.next()) {
                    labels[images.size()] = f.label();
                    images.add(f.image());
                }
            }
            all.add(images);
            truth.add(labels);
        }
        return new Footage("seed " + seed, all, truth);
    }

    private Footage recorded(ModelCards cards) {
        FrameSize size = cards.frameSize();
        List<Image> images = new ArrayList<>();
        String what = input.video != null ? input.video : input.images.toString();
        try (FrameSource source = input.video != null ? new VideoSource(input.video, "camera", size.width(), size.height(), null)
                : Sources.imageFolder(input.images, "camera", size.width(), size.height(), cards.classes())) {
            for (SourceFrame f = source.next(); f != null; f = source.next()) {
                images.add(f.image());
            }
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException(what + " gave no frames");
        }
        return new Footage(what, List.of(images), List.<Integer[]>of(new Integer[images.size()]));
    }

    private Labels label(Footage footage) {
        List<int[]> byCascade = new ArrayList<>();
        List<boolean[]> expensiveStage = new ArrayList<>();
        List<int[]> byExpensive = new ArrayList<>();
        try (Cascade c = Cascade.load(cascade, 2); ModelChain expensive = ModelChain.load(ModelCard.read(ModelOptions.card(model)), 2);
             ProgressBar bar = ProgressBars.bar("cascade and " + model + " on " + footage.what(), footage.size(), "frame")) {
            int last = c.stages().size() - 1;
            for (List<Image> camera : footage.cameras()) {
                int n = camera.size();
                int[] labels = new int[n];
                boolean[] reachedLast = new boolean[n];
                int[] reference = new int[n];
                for (int start = 0; start < n; start += MODEL_BATCH) {
                    List<Image> chunk = camera.subList(start, Math.min(n, start + MODEL_BATCH));
                    List<List<StageDecision>> trails = c.classify(chunk);
                    List<ClassProbabilities> predictions = expensive.predict(chunk);
                    for (int i = 0; i < chunk.size(); i++) {
                        StageDecision decision = trails.get(i).get(trails.get(i).size() - 1);
                        labels[start + i] = decision.label();
                        reachedLast[start + i] = decision.stage() == last;
                        reference[start + i] = predictions.get(i).label();
                    }
                    bar.stepBy(chunk.size());
                }
                byCascade.add(labels);
                expensiveStage.add(reachedLast);
                byExpensive.add(reference);
            }
        }
        return new Labels(byCascade, expensiveStage, byExpensive);
    }

    private List<Measured> sweep(Footage footage, Labels labels) {
        return Arrays.stream(THRESHOLDS).mapToObj(t -> measure(footage, labels, t)).toList();
    }

    /**
     * Behind the filter every reference runs the cascade and every follower takes its reference's
     * label, so the cascade's labels on every frame give the filtered answers too.
     */
    private Measured measure(Footage footage, Labels labels, double threshold) {
        DifferenceFilter filter = new DifferenceFilter(threshold);
        List<int[]> references = footage.cameras().stream().map(filter::references).toList();
        FilterEvaluation.Point point = FilterEvaluation.evaluate(threshold, references, labels.cascade());
        int expensiveCalls = 0;
        int cascadeExpensiveCalls = 0;
        int agreeExpensive = 0;
        int[] right = new int[3];
        int withTruth = 0;
        int ceiling = 0;
        int acrossScenes = 0;
        for (int c = 0; c < footage.cameras().size(); c++) {
            int[] refs = references.get(c);
            int[] own = labels.cascade().get(c);
            int[] taken = FilterEvaluation.behindFilter(refs, own);
            int[] expensive = labels.expensive().get(c);
            boolean[] reachedLast = labels.expensiveStage().get(c);
            Integer[] truth = footage.truth().get(c);
            for (int i = 0; i < refs.length; i++) {
                expensiveCalls += refs[i] == i && reachedLast[i] ? 1 : 0;
                cascadeExpensiveCalls += reachedLast[i] ? 1 : 0;
                agreeExpensive += taken[i] == expensive[i] ? 1 : 0;
                acrossScenes += Objects.equals(truth[refs[i]], truth[i]) ? 0 : 1;
                if (truth[i] != null) {
                    withTruth++;
                    right[0] += taken[i] == truth[i] ? 1 : 0;
                    right[1] += own[i] == truth[i] ? 1 : 0;
                    right[2] += expensive[i] == truth[i] ? 1 : 0;
                }
            }
            ceiling += majorityAgreement(own, truth);
        }
        int n = point.frames();
        boolean scenes = footage.truth().stream().flatMap(Arrays::stream).anyMatch(Objects::nonNull);
        return new Measured(threshold, n, point.modelCalls(), expensiveCalls, cascadeExpensiveCalls, point.agreement(),
                scenes ? (double) ceiling / n : Double.NaN, (double) agreeExpensive / n, ratio(right[0], withTruth),
                ratio(right[1], withTruth), ratio(right[2], withTruth), acrossScenes);
    }

    /**
     * How many frames agree with the label the cascade gives most often in their scene (a run of
     * frames with one truth: one object's visit, or an empty scene between two): the most agreement
     * any filter that gives a scene one label can have.
     */
    private static int majorityAgreement(int[] labels, Integer[] truth) {
        int agree = 0;
        int start = 0;
        for (int i = 1; i <= labels.length; i++) {
            if (i == labels.length || !Objects.equals(truth[i], truth[start])) {
                java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
                for (int j = start; j < i; j++) {
                    counts.merge(labels[j], 1, Integer::sum);
                }
                agree += counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
                start = i;
            }
        }
        return agree;
    }

    private static double ratio(int count, int total) {
        return total == 0 ? Double.NaN : (double) count / total;
    }

    private Measured choose(List<Measured> sweep, boolean relativeToCeiling) {
        Measured best = null;
        for (Measured m : sweep) {
            double needed = relativeToCeiling ? agreement * m.ceiling() : agreement;
            if (m.agreement() >= needed && (best == null || m.modelCalls() < best.modelCalls())) {
                best = m;
            }
        }
        return best;
    }

    private void printSweep(List<Measured> sweep, boolean scenes) {
        System.out.println("| threshold (mean abs. difference) | model calls | fewer calls | " + model + " calls | agreement with cascade"
                + (scenes ? " (reachable) | accuracy: filter / cascade |" : " | agreement with " + model + " |"));
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Measured m : sweep) {
            System.out.printf("| %.1f | %d | %.1fx | %d | %.2f%%%s |%n", m.threshold(), m.modelCalls(), m.reduction(), m.expensiveCalls(),
                    100 * m.agreement(), scenes
                            ? String.format(" (%.2f%%) | %.2f%% / %.2f%%", 100 * m.ceiling(), 100 * m.accuracy(), 100 * m.cascadeAccuracy())
                            : String.format(" | %.2f%%", 100 * m.expensiveAgreement()));
        }
    }
}

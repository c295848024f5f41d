package io.sieve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.evaluation.CascadeRun;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.evaluation.Sweep;
import io.sieve.cascade.definition.CascadeDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BoxChart;
import org.knowm.xchart.BoxChartBuilder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The evaluation of one cascade on the test batch: its numbers, and their Markdown, JSON and PNG forms. */
record EvaluationReport(String cascade, String cascadeFile, String testSet, int frames, int batch, int threads,
                        CascadeResult result, List<ModelResult> models, List<Sweep.Point> sweep, Map<String, Object> calibration) {

    record CascadeResult(double accuracy, double lossAgainstLastStage, int[] exits, double[] exitRates, double[] passThrough,
                         double msPerFrame, double speedupVsLastStage, double speedupVsFirstStage) {
    }

    record ModelResult(String name, Long macs, double accuracy, double msPerImage, double p50MsPerImage, double p99MsPerImage,
                       double[] msPerImageByBatch) {
    }

    static EvaluationReport of(CascadeDefinition definition, Path cascadeFile, LabelledImages test, int batch, int threads,
                               CascadeRun run, List<ModelScores> scores, List<Sweep.Point> sweep) {
        List<ModelResult> models = new ArrayList<>();
        for (ModelScores s : scores) {
            double[] ms = Arrays.stream(s.microsPerImageByBatch()).map(m -> m / 1000).toArray();
            String name = s.name();
            Long macs = s.card().macs();
            if (s.card().continues() != null) {
                // A model that continues the one before it runs only after it: alone, it is the two together.
                ModelResult before = models.get(models.size() - 1);
                name = before.name + " + " + name;
                macs = macs == null || before.macs == null ? null : macs + before.macs;
                for (int b = 0; b < ms.length; b++) {
                    ms[b] += before.msPerImageByBatch[b];
                }
            }
            models.add(new ModelResult(name, macs, s.accuracy(test.labels()), Arrays.stream(ms).average().orElse(0),
                    BenchCommand.percentile(ms, 50), BenchCommand.percentile(ms, 99), ms));
        }
        int stages = scores.size();
        double[] exitRates = Arrays.stream(run.exits()).mapToDouble(e -> (double) e / run.n()).toArray();
        double[] passThrough = new double[stages - 1];
        for (int s = 0; s < stages - 1; s++) {
            passThrough[s] = run.passThrough(s);
        }
        ModelResult last = models.get(stages - 1);
        ModelResult first = models.get(0);
        CascadeResult result = new CascadeResult(run.accuracy(), last.accuracy() - run.accuracy(), run.exits(), exitRates,
                passThrough, run.msPerFrame(), last.msPerImage() / run.msPerFrame(), first.msPerImage() / run.msPerFrame());
        return new EvaluationReport(definition.name(), cascadeFile.toString(), test.name(), test.size(), batch, threads, result,
                models, sweep, definition.calibration());
    }

    void write(Path dir) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(), this);
        Files.writeString(dir.resolve("report.md"), markdown());
        paretoChart(dir.resolve("pareto.png"));
        exitChart(dir.resolve("exits.png"));
        timeChart(dir.resolve("inference-time.png"));
    }

    String summary() {
        return String.format("%s on %d test frames: accuracy %.2f%% (%.2f points below %s alone), %.4f ms/frame, "
                        + "%.2fx faster than %s alone, %.2fx against %s alone; exits per stage %s",
                cascade, frames, 100 * result.accuracy, 100 * result.lossAgainstLastStage, models.get(models.size() - 1).name,
                result.msPerFrame, result.speedupVsLastStage, models.get(models.size() - 1).name, result.speedupVsFirstStage,
                models.get(0).name, Arrays.toString(result.exits));
    }

    private String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation of cascade `").append(cascade).append("`\n\n");
        md.append(String.format("Test set: %s (%d frames); batch %d; %d ONNX Runtime intra-op thread(s). Cascade file: `%s`.%n%n",
                testSet, frames, batch, threads, Path.of(cascadeFile).getFileName()));
        md.append("## The cascade against each of its models alone\n\n");
        md.append("| | accuracy | ms per frame | speedup of the cascade |\n| --- | ---: | ---: | ---: |\n");
        md.append(String.format("| **cascade** | **%.2f%%** | **%.4f** | |%n", 100 * result.accuracy, result.msPerFrame));
        for (ModelResult m : models) {
            md.append(String.format("| %s alone | %.2f%% | %.4f | %.2fx |%n", m.name, 100 * m.accuracy, m.msPerImage,
                    m.msPerImage / result.msPerFrame));
        }
        md.append("\nCascade time is wall-clock time through every stage (preprocessing, inference, routing); a model "
                + "alone is timed the same way on the same batches.\n\n## Stages\n\n");
        md.append("| stage | model | MACs | frames decided | exit rate | pass-through to next | p50 / p99 ms per image (batched) |\n");
        md.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (int s = 0; s < models.size(); s++) {
            ModelResult m = models.get(s);
            md.append(String.format("| %d | %s | %s | %d | %.1f%% | %s | %.4f / %.4f |%n", s, m.name, megaMacs(m.macs),
                    result.exits[s], 100 * result.exitRates[s],
                    s < result.passThrough.length ? String.format("%.1f%%", 100 * result.passThrough[s]) : "-",
                    m.p50MsPerImage, m.p99MsPerImage));
        }
        md.append("\n![exits](exits.png) ![inference time](inference-time.png)\n\n");
        md.append("## Accuracy against cost (thresholds fitted on validation, measured on test)\n\n");
        md.append("| eps | validation loss (bound) | test accuracy | test loss | model ms per frame | speedup vs last | exit rates |\n");
        md.append("| ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        double lastMs = models.get(models.size() - 1).msPerImage;
        for (Sweep.Point p : sweep) {
            md.append(String.format("| %.2f%% | %.2f (%.2f) | %.2f%% | %.2f | %.4f | %.2fx | %s |%n", 100 * p.eps(),
                    100 * p.validationLoss(), 100 * p.validationLossBound(), 100 * p.testAccuracy(), 100 * p.testLoss(),
                    p.testMsPerFrame(), lastMs / p.testMsPerFrame(), percentages(p.testExitRates())));
        }
        md.append("\n![accuracy against cost](pareto.png)\n");
        return md.toString();
    }

    private static String percentages(double[] rates) {
        return String.join(" / ", Arrays.stream(rates).mapToObj(r -> String.format("%.1f%%", 100 * r)).toList());
    }

    private void paretoChart(Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title("Accuracy against model time per frame (test batch)")
                .xAxisTitle("model time per frame (ms)").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        XYSeries curve = chart.addSeries("cascade " + cascade + " (eps sweep)",
                sweep.stream().mapToDouble(Sweep.Point::testMsPerFrame).toArray(),
                sweep.stream().mapToDouble(p -> 100 * p.testAccuracy()).toArray());
        curve.setMarker(SeriesMarkers.CIRCLE);
        for (ModelResult m : models) {
            XYSeries point = chart.addSeries(m.name + " alone", new double[] {m.msPerImage}, new double[] {100 * m.accuracy});
            point.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            point.setMarker(SeriesMarkers.DIAMOND);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private void exitChart(Path file) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(600).height(400).title("Frames decided per stage")
                .xAxisTitle("stage").yAxisTitle("frames").build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("exits", models.stream().map(ModelResult::name).toList(), Arrays.stream(result.exits).boxed().map(Number.class::cast).toList());
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private void timeChart(Path file) throws IOException {
        BoxChart chart = new BoxChartBuilder().width(600).height(400).title("Model time per image, by batch (ms)")
                .yAxisTitle("ms per image").build();
        chart.getStyler().setYAxisLogarithmic(true);
        for (ModelResult m : models) {
            chart.addSeries(m.name, m.msPerImageByBatch);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** MACs in millions for tables, or "?" when the card does not know them. */
    static String megaMacs(Long macs) {
        return macs == null ? "?" : String.format("%.2fM", macs / 1e6);
    }

    static String percent(Double fraction) {
        return fraction == null ? "?" : String.format("%.2f%%", 100 * fraction);
    }
}

package io.sieve.cascade.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.cascade.model.ConfidenceMeasure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A cascade file: the ordered stages, each a model card (path relative to this file), the
 * confidence measure, the exit threshold (optionally one per predicted class; none for the last
 * stage), its cost, and what the online estimator needs: the reliability table (accuracy by
 * confidence) and the confusion counts ([predicted][true]) of the validation frames the stage
 * decides; for a stage before the last, its exit profile on them (what the drift alarm expects).
 * {@code calibration} records how the thresholds were chosen; {@code audit_rate} is the share
 * of frames decided before the last stage that the last stage labels too (the live audit; 0 = off,
 * absent = {@link #DEFAULT_AUDIT_RATE}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CascadeDefinition(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty(value = "stages", required = true) List<StageDefinition> stages,
        @JsonProperty("calibration") Map<String, Object> calibration,
        @JsonProperty("audit_rate") Double auditRate) {

    /**
     * The live audit's share when a cascade file names none: a disagreement interval of about +-1.6
     * points over the 10,000 test frames of the default cascade (EVALUATION.md, "The live audit"),
     * for an expensive-model call on 5% of the early answers, about 3% of all frames there.
     */
    public static final double DEFAULT_AUDIT_RATE = 0.05;

    /**
     * The confidence level of a budget's bound when none is asked for or recorded. 99% rather than
     * 95%: the bound holds per candidate and the search tries about a hundred, so 95% let the test
     * loss overshoot a 1-point budget (1.07 points, EVALUATION.md).
     */
    public static final double DEFAULT_CONFIDENCE_LEVEL = 0.99;

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StageDefinition(
            @JsonProperty(value = "model", required = true) String model,
            @JsonProperty(value = "measure", required = true) ConfidenceMeasure measure,
            @JsonProperty("threshold") Double threshold,
            @JsonProperty("class_thresholds") double[] classThresholds,
            @JsonProperty("cost") Cost cost,
            @JsonProperty("reliability") ReliabilityTable reliability,
            @JsonProperty("confusion") int[][] confusion,
            @JsonProperty("exit_profile") ExitProfile exitProfile) {
    }

    /** What one frame costs at this stage: multiply-accumulates (when the card knows them) and measured milliseconds per image (batched). */
    public record Cost(@JsonProperty("macs") Long macs, @JsonProperty("ms_per_image") double msPerImage) {
    }

    /**
     * The one-sided confidence level of the bound the thresholds were fitted with, or
     * {@link #DEFAULT_CONFIDENCE_LEVEL} for a file that does not
     * record one (written by hand, or before the level was recorded).
     */
    public double confidenceLevel() {
        return calibration != null && calibration.get("confidence_level") instanceof Number n ? n.doubleValue()
                : DEFAULT_CONFIDENCE_LEVEL;
    }

    /**
     * The accuracy-loss budget the thresholds were fitted to (0.01 for "accuracy loss <= 1.00
     * points"), or null when the file records none (written by hand, or fitted to an accuracy target).
     */
    public Double lossBudget() {
        if (calibration == null || !(calibration.get("budget") instanceof String budget)) {
            return null;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("accuracy loss <= ([0-9.]+) points").matcher(budget);
        return m.matches() ? Double.parseDouble(m.group(1)) / 100 : null;
    }

    /** Per stage, the lowest confidence that lets a frame exit there (its threshold, or its lowest class threshold); null for the last. */
    public List<Double> lowestExitConfidences() {
        List<Double> lowest = new java.util.ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            StageDefinition d = stages.get(s);
            lowest.add(s == stages.size() - 1 ? null : d.classThresholds() != null
                    ? java.util.Arrays.stream(d.classThresholds()).min().orElse(Double.POSITIVE_INFINITY)
                    : d.threshold() == null ? Double.POSITIVE_INFINITY : d.threshold());
        }
        return lowest;
    }

    /** The share of early-decided frames the last stage labels too: the file's, or {@link #DEFAULT_AUDIT_RATE}. */
    public double effectiveAuditRate() {
        return auditRate == null ? DEFAULT_AUDIT_RATE : auditRate;
    }

    /** This cascade with every stage before the last given its exit profile ({@code profiles.get(s)}; null for the last). */
    public CascadeDefinition withExitProfiles(List<ExitProfile> profiles) {
        if (profiles.size() != stages.size()) {
            throw new IllegalArgumentException(profiles.size() + " exit profiles for " + stages.size() + " stages");
        }
        List<StageDefinition> profiled = new java.util.ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            StageDefinition d = stages.get(s);
            profiled.add(new StageDefinition(d.model(), d.measure(), d.threshold(), d.classThresholds(), d.cost(), d.reliability(),
                    d.confusion(), profiles.get(s)));
        }
        return new CascadeDefinition(name, profiled, calibration, auditRate);
    }

    /** This cascade with another audit rate. */
    public CascadeDefinition withAuditRate(double rate) {
        return new CascadeDefinition(name, stages, calibration, rate);
    }

    public static CascadeDefinition read(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a folder; give a cascade file (*.cascade.json), e.g. "
                    + file.resolve("default.cascade.json"));
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cascade file " + file + " does not exist");
        }
        CascadeDefinition definition;
        try {
            definition = JSON.readValue(file.toFile(), CascadeDefinition.class);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException("cascade file " + file + " is invalid: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read cascade file " + file + ": " + e.getMessage(), e);
        }
        definition.validate(file);
        return definition;
    }

    public void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        JSON.writeValue(file.toFile(), this);
    }

    private void validate(Path file) {
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("cascade file " + file + " has no stages");
        }
        if (auditRate != null && !(auditRate >= 0 && auditRate <= 1)) {
            throw new IllegalArgumentException("cascade file " + file + ": audit_rate " + auditRate
                    + " is not a share between 0 (no audit) and 1 (every early-decided frame)");
        }
        for (int s = 0; s < stages.size(); s++) {
            StageDefinition stage = stages.get(s);
            boolean last = s == stages.size() - 1;
            if (!last && stage.threshold() == null && stage.classThresholds() == null) {
                throw new IllegalArgumentException("cascade file " + file + ": stage " + s + " (" + stage.model()
                        + ") needs a threshold; only the last stage decides every frame it gets");
            }
        }
    }

    /** The model card of stage {@code s}, resolved against the cascade file's folder. */
    public Path cardPath(Path cascadeFile, int s) {
        return cascadeFile.toAbsolutePath().getParent().resolve(stages.get(s).model()).normalize();
    }
}

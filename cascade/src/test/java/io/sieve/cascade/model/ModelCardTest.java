package io.sieve.cascade.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardTest {

    @Test
    void readsACard() {
        ModelCard card = ModelCard.read(Fixtures.card("tiny_logits"));
        assertThat(card.name()).isEqualTo("tiny_logits");
        assertThat(card.numClasses()).isEqualTo(10);
        assertThat(card.onnxPath().getFileName().toString()).isEqualTo("tiny_logits.onnx");
        assertThat(card.output().isLogits()).isTrue();
    }

    @Test
    void anUnknownFieldIsAnError(@TempDir Path dir) throws Exception {
        Path card = edited(dir, "\"macs\"", "\"mcas\"");
        assertThatThrownBy(() -> ModelCard.read(card)).isInstanceOf(ModelException.class)
                .hasMessageContaining(card.toString()).hasMessageContaining("unknown field(s) [mcas]");
    }

    @Test
    void paramsAndMacsAreOptionalAndTheResizeMethodDefaultsToArea(@TempDir Path dir) throws Exception {
        ModelCard card = ModelCard.read(edited(dir, "\"params\": 282,\n  \"macs\": 0", "\"description\": \"x\""
                .replace("description", "training") .replace("\"x\"", "{}")));
        assertThat(card.macs()).isNull();
        assertThat(card.params()).isNull();
        assertThat(card.input().resizeMethod()).isEqualTo(io.sieve.images.ResizeMethod.AREA);
        ModelCard bilinear = ModelCard.read(edited(dir, "\"layout\": \"NCHW\"", "\"layout\": \"NCHW\", \"resize\": \"bilinear\""));
        assertThat(bilinear.input().target()).isEqualTo(new io.sieve.images.ResizeTarget(32, 32, io.sieve.images.ResizeMethod.BILINEAR));
    }

    @Test
    void onlyWeightsStatedInSevenBitsOrFewerLetTheFastIntegerKernelRun(@TempDir Path dir) throws Exception {
        assertThat(ModelCard.read(Fixtures.card("tiny_logits")).pairSumsFitSixteenBits()).as("no weight_bits").isFalse();
        assertThat(ModelCard.read(edited(dir, "\"macs\": 0", "\"macs\": 0, \"weight_bits\": 8")).pairSumsFitSixteenBits()).isFalse();
        assertThat(ModelCard.read(edited(dir, "\"macs\": 0", "\"macs\": 0, \"weight_bits\": 7")).pairSumsFitSixteenBits()).isTrue();
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"macs\": 0", "\"macs\": 0, \"weight_bits\": 16")))
                .isInstanceOf(ModelException.class).hasMessageContaining("weight_bits 16 must be between 2 and 8");
    }

    @Test
    void anNhwcCardReadsItsSizeFromTheMiddleDims() {
        ModelCard card = ModelCard.read(Fixtures.card("tiny_nhwc"));
        assertThat(card.input().channelsLast()).isTrue();
        assertThat(card.input().width()).isEqualTo(32);
        assertThat(card.input().channels()).isEqualTo(3);
    }

    @Test
    void anUnknownLayoutOrResizeMethodIsAnError(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"layout\": \"NCHW\"", "\"layout\": \"CHWN\"")))
                .hasMessageContaining("input layout 'CHWN' is not supported (NCHW or NHWC)");
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"layout\": \"NCHW\"", "\"layout\": \"NHWC\"")))
                .hasMessageContaining("is not [batch, height, width, 3] for layout NHWC");
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"layout\": \"NCHW\"", "\"layout\": \"NCHW\", \"resize\": \"lanczos\"")))
                .hasMessageContaining("unknown resize method 'lanczos'");
    }

    @Test
    void stagesWithOtherClassesAreNamed() {
        ModelCard a = ModelCard.read(Fixtures.card("tiny_logits"));
        java.util.List<String> classes = new java.util.ArrayList<>(a.classes());
        java.util.Collections.swap(classes, 0, 1);
        ModelCard b = new ModelCard("other", null, a.onnx(), a.input(), a.output(), null, classes, null, null, null, null, null, null, null, a.cardPath());
        ModelCard.requireSameClasses(java.util.List.of(a, a));
        assertThatThrownBy(() -> ModelCard.requireSameClasses(java.util.List.of(a, b))).isInstanceOf(ModelException.class)
                .hasMessageContaining("model other").hasMessageContaining("same classes in the same order");
    }

    @Test
    void aWrittenCardReadsBackEqual(@TempDir Path dir) {
        ModelCard card = ModelCard.read(Fixtures.card("tiny_nhwc"));
        Path copy = dir.resolve("copy.card.json");
        card.write(copy);
        ModelCard back = ModelCard.read(copy);
        assertThat(back.input().shape()).isEqualTo(card.input().shape());
        assertThat(back.classes()).isEqualTo(card.classes());
        assertThat(back.params()).isEqualTo(card.params());
    }

    @Test
    void aMissingRequiredFieldIsAnError(@TempDir Path dir) throws Exception {
        Path card = edited(dir, "\"classes\"", "\"comment\"");
        assertThatThrownBy(() -> ModelCard.read(card)).isInstanceOf(ModelException.class)
                .hasMessageContaining("missing field(s) [classes]");
    }

    @Test
    void aZeroStdOrAClassCountThatDoesNotMatchTheOutputIsAnError(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"std\": [\n      0.25", "\"std\": [\n      0.0")))
                .hasMessageContaining("std").hasMessageContaining("positive");
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"truck\"", "\"truck\", \"bus\"")))
                .hasMessageContaining("does not match 11 classes");
        assertThatThrownBy(() -> ModelCard.read(edited(dir, "\"kind\": \"logits\"", "\"kind\": \"scores\"")))
                .hasMessageContaining("output kind 'scores'");
    }

    @Test
    void aContinuationNamesTheModelItContinuesAndMapsEachInputToAnOutputOfIt(@TempDir Path dir) throws Exception {
        ModelCard rest = ModelCard.read(Fixtures.card("tiny_pair_rest"));
        assertThat(rest.continues().model()).isEqualTo("tiny_trunk");
        assertThat(rest.continues().inputs()).containsExactly(java.util.Map.entry("scores_in", "scores"));
        Path unmapped = edited(dir, "\"classes\"", "\"continues\": {\"model\": \"tiny_trunk\", \"inputs\": {\"features\": \"\"}},\n  \"classes\"");
        assertThatThrownBy(() -> ModelCard.read(unmapped)).isInstanceOf(ModelException.class)
                .hasMessageContaining("each mapped to the output of that model it takes");
    }

    @Test
    void aMissingCardIsAnErrorNamingIt(@TempDir Path dir) {
        assertThatThrownBy(() -> ModelCard.read(dir.resolve("nope.card.json"))).hasMessageContaining("nope.card.json")
                .hasMessageContaining("does not exist");
    }

    private static Path edited(Path dir, String from, String to) throws Exception {
        String text = Files.readString(Fixtures.card("tiny_logits"));
        assertThat(text).contains(from);
        Path card = dir.resolve("edited-" + Math.abs((from + to).hashCode()) + ".card.json");
        Files.writeString(card, text.replace(from, to));
        Files.copy(Fixtures.card("tiny_logits").resolveSibling("tiny_logits.onnx"), dir.resolve("tiny_logits.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return card;
    }
}

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
                .hasMessageContaining(card.toString()).hasMessageContaining("unknown field(s) [mcas]")
                .hasMessageContaining("missing field(s) [macs]");
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

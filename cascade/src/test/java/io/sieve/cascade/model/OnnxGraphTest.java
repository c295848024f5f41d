package io.sieve.cascade.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OnnxGraphTest {

    static Stream<Path> zooCards() throws Exception {
        Path zoo = Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath().normalize().resolve("models/onnx");
        return Files.list(zoo).filter(p -> p.toString().endsWith(".card.json")).sorted();
    }

    @ParameterizedTest
    @MethodSource("zooCards")
    void countsTheSameMacsAsTrainingDidForEveryZooModel(Path cardFile) {
        ModelCard card = ModelCard.read(cardFile);
        OnnxGraph graph = OnnxGraph.read(card.onnxPath());
        List<String> inputs = graph.inputs().stream().map(OnnxGraph.ValueInfo::name).toList();
        if (card.continues() == null) {
            assertThat(inputs).containsExactly(card.input().name());
        } else {
            // A continuation takes what the model before it hands on, and the frame only if it needs it.
            List<String> allowed = new java.util.ArrayList<>(card.continues().inputs().keySet());
            allowed.add(card.input().name());
            assertThat(inputs).containsAll(card.continues().inputs().keySet()).isSubsetOf(allowed);
        }
        assertThat(graph.outputs()).extracting(OnnxGraph.ValueInfo::name).contains(card.output().name());
        assertThat(graph.opsets()).containsKey("");
        OnnxGraph.Macs macs = graph.macs(card.input().name(), card.input().shape());
        assertThat(macs.unknownBecause()).isNull();
        assertThat(macs.count()).isEqualTo(card.macs());
        // A BatchNorm right after a convolution is folded into it on export (its scale and shift go: 2 fewer per
        // channel); one after a pool, as in AirNet, stays and brings its running mean and variance (2 more).
        assertThat(graph.parameters()).isBetween((long) (0.95 * card.params()), (long) (1.05 * card.params()));
    }

    @Test
    void readsAChannelsLastInputAndTheSoftmaxAtTheEnd() {
        OnnxGraph nhwc = OnnxGraph.read(Fixtures.card("tiny_nhwc").resolveSibling("tiny_nhwc.onnx"));
        assertThat(nhwc.inputs().get(0).shape()).containsExactly(-1, 32, 32, 3);
        assertThat(nhwc.inputs().get(0).elementType()).isEqualTo(OnnxGraph.ValueInfo.FLOAT);
        // Conv 3->4, 3x3, stride 2 on 32x32: 4 * 16 * 16 outputs of 27 MACs; Linear 16->10.
        assertThat(nhwc.macs("input", new long[] {1, 32, 32, 3}).count()).isEqualTo(4 * 16 * 16 * 27 + 160);
        assertThat(nhwc.endsInSoftmax("scores")).isFalse();
        assertThat(OnnxGraph.read(Fixtures.card("tiny_softmax").resolveSibling("tiny_softmax.onnx")).endsInSoftmax("scores")).isTrue();
    }

    @Test
    void aFileThatIsNotAnOnnxModelIsRefused(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk.onnx");
        Files.writeString(junk, "definitely not protobuf");
        assertThatThrownBy(() -> OnnxGraph.read(junk)).isInstanceOf(ModelException.class).hasMessageContaining(junk.toString());
    }
}

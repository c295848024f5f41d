package io.sieve.serde;

import io.sieve.schemas.Frame;
import io.sieve.schemas.PixelLayout;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.StageResult;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

/** Records with every field set, for serde tests. */
public final class SampleRecords {
    private SampleRecords() {
    }

    public static Frame frame(int sequence) {
        byte[] pixels = new byte[32 * 32 * 3];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 31 + sequence);
        }
        return Frame.newBuilder()
                .setCameraId("camera-7")
                .setSequence(sequence)
                .setCaptureTime(Instant.ofEpochMilli(1_700_000_000_000L + sequence))
                .setWidth(32).setHeight(32).setChannels(3)
                .setLayout(PixelLayout.CHW)
                .setPixels(ByteBuffer.wrap(pixels))
                .setLabel(sequence % 10)
                .setQueryId("q-1")
                .setEarlierStages(List.of(new StageResult(0, "sievenet_s", 3, 0.41f, 25L, false)))
                .build();
    }

    public static Prediction prediction() {
        return Prediction.newBuilder()
                .setCameraId("camera-7").setSequence(5).setCaptureTime(Instant.ofEpochMilli(1_700_000_000_005L))
                .setDecidingStage(1).setModel("resnet20").setLabel(3).setLabelName("cat").setConfidence(0.93f)
                .setStages(List.of(new StageResult(0, "sievenet_s", 5, 0.41f, 25L, false),
                        new StageResult(1, "resnet20", 3, 0.93f, 480L, true)))
                .setTrueLabel(3)
                .build();
    }
}

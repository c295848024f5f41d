package io.sieve.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.images.Image;
import io.sieve.schemas.FrameBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class FramePublisherTest {
    private static final Serializer<FrameBatch> NO_BYTES = (topic, batch) -> new byte[0];

    private static SourceFrame frame(String camera, long sequence, int side) {
        return new SourceFrame(camera, sequence, Instant.now(), new Image(side, side, 3, Image.Layout.HWC, new byte[side * side * 3]), null);
    }

    @Test
    void aBatchThatWouldOutgrowARecordIsSentEarly() {
        var producer = new MockProducer<>(true, null, new StringSerializer(), NO_BYTES);
        // 1000x1000 RGB = 3 MB per frame: two fit in an 8 MiB record, three do not.
        try (FramePublisher publisher = new FramePublisher(producer, "frames", 16, Duration.ofMinutes(1))) {
            for (int i = 0; i < 7; i++) {
                publisher.publish(frame("big", i, 1000), null, null);
            }
        }
        List<Integer> sizes = producer.history().stream().map(ProducerRecord::value).map(b -> b.getFrames().size()).toList();
        assertThat(sizes).containsExactly(2, 2, 2, 1);
    }

    @Test
    void aFrameNoRecordCanHoldIsRefusedAndTheFramesBeforeItAreStillSent() {
        var producer = new MockProducer<>(true, null, new StringSerializer(), NO_BYTES);
        FramePublisher publisher = new FramePublisher(producer, "frames", 16, Duration.ofMinutes(1));
        publisher.publish(frame("cam", 0, 32), null, null);
        publisher.publish(frame("cam", 1, 32), null, null);
        assertThatThrownBy(() -> publisher.publish(frame("cam", 2, 2000), null, null))
                .isInstanceOf(SourceException.class)
                .hasMessageContaining("frame cam/2 is 2000x2000x3, 12000000 bytes as RAW")
                .hasMessageContaining("more than one Kafka record holds (8388608 bytes)")
                .hasMessageContaining("--size").hasMessageContaining("--encoding jpeg");
        publisher.close();
        assertThat(producer.history()).hasSize(1);
        assertThat(producer.history().get(0).value().getFrames()).extracting(f -> f.getSequence()).containsExactly(0L, 1L);
        assertThat(publisher.framesAcknowledged()).isEqualTo(2);
    }
}

package io.sieve.producer;

import io.sieve.client.ClusterConfig;
import io.sieve.client.FramePixels;
import io.sieve.images.ImageCodec;
import io.sieve.images.PixelEncoding;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.serde.AvroSerde;
import io.sieve.serde.RecordLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes frames to the frames topic, keyed by camera, a batch of up to {@code batchFrames}
 * consecutive frames of one camera per record. The producer is idempotent (acks=all) and its
 * memory is bounded: at most one pending batch per camera here, and Kafka's {@code buffer.memory}
 * beyond that, after which {@code send} blocks rather than grows. A record never exceeds
 * {@link RecordLimits#MAX_RECORD_BYTES}: a batch that would is sent early, and a single frame too large for any
 * record is refused with the reason before it is queued.
 */
public final class FramePublisher implements AutoCloseable {
    private static final int MAX_RECORD_BYTES = RecordLimits.MAX_RECORD_BYTES;

    private final Producer<String, FrameBatch> producer;
    private final String topic;
    private final int batchFrames;
    private final Duration maxWait;
    private final PixelEncoding encoding;
    private final Map<String, PendingBatch> pending = new HashMap<>();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private long sent;

    /** A publisher of raw frames. */
    public FramePublisher(ClusterConfig cluster, String topic, int batchFrames, Duration maxWait) {
        this(cluster, topic, batchFrames, maxWait, PixelEncoding.RAW);
    }

    /** @param encoding how frames carry their pixels (every frame of this publisher alike) */
    public FramePublisher(ClusterConfig cluster, String topic, int batchFrames, Duration maxWait, PixelEncoding encoding) {
        this(new KafkaProducer<>(producerProperties(cluster), new StringSerializer(),
                AvroSerde.<FrameBatch>forValues(FrameBatch.getClassSchema(), cluster.registryUrl()).serializer()), topic, batchFrames,
                maxWait, encoding);
    }

    FramePublisher(Producer<String, FrameBatch> producer, String topic, int batchFrames, Duration maxWait) {
        this(producer, topic, batchFrames, maxWait, PixelEncoding.RAW);
    }

    FramePublisher(Producer<String, FrameBatch> producer, String topic, int batchFrames, Duration maxWait, PixelEncoding encoding) {
        if (batchFrames < 1) {
            throw new IllegalArgumentException("frames per record must be at least 1, got " + batchFrames);
        }
        this.producer = producer;
        this.topic = topic;
        this.batchFrames = batchFrames;
        this.maxWait = maxWait;
        this.encoding = encoding;
    }

    static Map<String, Object> producerProperties(ClusterConfig cluster) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        props.putAll(cluster.kafkaProperties());
        return props;
    }

    /** A camera's frames not yet sent: when the first of them arrived, and roughly how many bytes they make. */
    private static final class PendingBatch {
        final List<Frame> frames = new ArrayList<>();
        long since;
        long bytes;
    }

    /** Adds a frame to its camera's batch, sending the batch when it is full or has waited long enough. */
    public void publish(SourceFrame source, String queryId, Long queryPosition) {
        throwIfFailed();
        var image = source.image();
        Frame frame = FramePixels.withImage(Frame.newBuilder(), image, encoding, ImageCodec.DEFAULT_JPEG_QUALITY)
                .setCameraId(source.cameraId())
                .setSequence(source.sequence())
                .setCaptureTime(source.captureTime())
                .setLabel(source.label())
                .setQueryId(queryId)
                .setQueryPosition(queryPosition)
                .build();
        long frameBytes = RecordLimits.frameBytes(frame);
        if (!RecordLimits.fits(0, frameBytes)) {
            throw new SourceException("frame " + source.cameraId() + "/" + source.sequence() + " is " + image.width() + "x"
                    + image.height() + "x" + image.channels() + ", " + frame.getPixels().remaining() + " bytes as " + encoding
                    + ", more than one Kafka record holds (" + MAX_RECORD_BYTES + " bytes); publish smaller frames (--size) or "
                    + "compress them (--encoding jpeg) (" + sent + " frames before it were sent)");
        }
        PendingBatch batch = pending.computeIfAbsent(source.cameraId(), c -> new PendingBatch());
        if (!batch.frames.isEmpty() && !RecordLimits.fits(batch.bytes, frameBytes)) {
            send(source.cameraId());
        }
        if (batch.frames.isEmpty()) {
            batch.since = System.nanoTime();
        }
        batch.frames.add(frame);
        batch.bytes += frameBytes;
        if (batch.frames.size() >= batchFrames) {
            send(source.cameraId());
        }
        sendOverdue();
    }

    /** Sends batches that have waited longer than the maximum wait (live cameras at low frame rates). */
    public void sendOverdue() {
        long now = System.nanoTime();
        for (String camera : List.copyOf(pending.keySet())) {
            PendingBatch batch = pending.get(camera);
            if (!batch.frames.isEmpty() && now - batch.since > maxWait.toNanos()) {
                send(camera);
            }
        }
    }

    private void send(String camera) {
        PendingBatch batch = pending.get(camera);
        List<Frame> frames = batch.frames;
        int n = frames.size();
        producer.send(new ProducerRecord<>(topic, camera, new FrameBatch(camera, new ArrayList<>(frames))), (metadata, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            } else {
                acknowledged.addAndGet(n);
            }
        });
        sent += n;
        frames.clear();
        batch.bytes = 0;
    }

    /** Sends every pending batch and waits until the broker has acknowledged all of them. */
    public void flush() {
        for (String camera : List.copyOf(pending.keySet())) {
            if (!pending.get(camera).frames.isEmpty()) {
                send(camera);
            }
        }
        producer.flush();
        throwIfFailed();
    }

    private void throwIfFailed() {
        Exception e = failure.get();
        if (e != null) {
            throw new SourceException("sending frames to topic " + topic + " failed after " + acknowledged.get()
                    + " acknowledged frames: " + e.getMessage(), e);
        }
    }

    /** Frames handed to Kafka so far (pending ones not included). */
    public long framesSent() {
        return sent;
    }

    /** Frames the broker has acknowledged. */
    public long framesAcknowledged() {
        return acknowledged.get();
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close(Duration.ofSeconds(30));
        }
    }
}

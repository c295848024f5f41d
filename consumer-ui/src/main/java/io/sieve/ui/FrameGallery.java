package io.sieve.ui;

import io.sieve.client.ClusterConfig;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.client.FramePixels;
import io.sieve.images.DataException;
import io.sieve.images.ImageCodec;
import io.sieve.images.PixelEncoding;
import io.sieve.schemas.Prediction;
import io.sieve.client.Topics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recent frames with the label and stage that decided them. Only one frame record in
 * {@code sampleEvery} is decoded, so following a busy frames topic stays cheap.
 */
final class FrameGallery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FrameGallery.class);
    static final int SIZE = 12;

    private final KafkaConsumer<String, byte[]> consumer;
    private final Topics topics;
    private final int sampleEvery;
    private final Consumer<Map<String, Object>> listener;
    private final Map<String, String> pendingImages = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 256;
        }
    };
    private final Deque<Map<String, Object>> recent = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean running = true;
    private long records;
    private long skipped;

    FrameGallery(ClusterConfig cluster, Topics topics, int sampleEvery, Consumer<Map<String, Object>> listener) {
        this.topics = topics;
        this.sampleEvery = sampleEvery;
        this.listener = listener;
        Map<String, Object> props = new HashMap<>(cluster.kafkaProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.frames(0).name(), topics.predictions().name())) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        thread = new Thread(this::run, "sieve-ui-gallery");
        thread.setDaemon(true);
        thread.start();
    }

    synchronized List<Map<String, Object>> recent() {
        return new ArrayList<>(recent);
    }

    private void run() {
        var frames = topics.frames(0).valueSerde().deserializer();
        var predictions = topics.predictions().valueSerde().deserializer();
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        if (r.topic().equals(topics.predictions().name())) {
                            matched(predictions.deserialize(r.topic(), r.value()));
                        } else if (records++ % sampleEvery == 0) {
                            FrameBatch batch = frames.deserialize(r.topic(), r.value());
                            if (!batch.getFrames().isEmpty()) {
                                Frame f = batch.getFrames().get(batch.getFrames().size() - 1);
                                pendingImages.put(f.getCameraId() + "/" + f.getSequence(), dataUrl(f));
                            }
                        }
                    } catch (SerializationException | IllegalArgumentException | DataException e) {
                        // Bad records are the stream app's to dead-letter; the gallery skips them, and says so once.
                        if (skipped++ == 0) {
                            LOG.warn("the gallery skips undecodable records (first: {}-{}@{}: {})", r.topic(), r.partition(), r.offset(),
                                    e.getMessage());
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("the frame gallery stopped: {}", e.getMessage(), e);
        } finally {
            consumer.close();
        }
    }

    private void matched(Prediction p) {
        String image = pendingImages.remove(p.getCameraId() + "/" + p.getSequence());
        if (image == null) {
            return;
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("camera", p.getCameraId());
        entry.put("sequence", p.getSequence());
        entry.put("label", p.getLabelName());
        entry.put("stage", p.getDecidingStage());
        entry.put("model", p.getModel());
        entry.put("confidence", p.getConfidence());
        entry.put("query", p.getQueryId());
        entry.put("image", image);
        synchronized (this) {
            recent.addFirst(entry);
            while (recent.size() > SIZE) {
                recent.removeLast();
            }
        }
        listener.accept(entry);
    }

    /** The frame as a data URL: a compressed payload as it is, raw pixels as PNG. */
    static String dataUrl(Frame f) {
        PixelEncoding encoding = FramePixels.encoding(f);
        byte[] picture;
        if (encoding == PixelEncoding.RAW) {
            picture = ImageCodec.encode(FramePixels.image(f), PixelEncoding.PNG, 0);
        } else {
            picture = FramePixels.payload(f.getPixels());
        }
        return "data:image/" + (encoding == PixelEncoding.JPEG ? "jpeg" : "png") + ";base64," + Base64.getEncoder().encodeToString(picture);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5000);
    }
}

package io.sieve.stream;

import io.sieve.schemas.Prediction;
import io.sieve.schemas.QueryCommand;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends each prediction to the queries it belongs to, keyed by query id: a retrospective query's
 * frames name it; a live query takes every frame of its cameras inside its time window.
 */
final class QueryRouter extends ContextualProcessor<String, Prediction, String, Prediction> {
    private final LiveQueries live;

    QueryRouter(LiveQueries live) {
        this.live = live;
    }

    @Override
    public void process(Record<String, Prediction> record) {
        Prediction p = record.value();
        if (p.getQueryId() != null) {
            context().forward(record.withKey(p.getQueryId()));
            return;
        }
        for (QueryCommand q : live.running()) {
            boolean camera = q.getCameras().isEmpty() || q.getCameras().contains(p.getCameraId());
            boolean after = q.getFromTime() == null || !p.getCaptureTime().isBefore(q.getFromTime());
            boolean before = q.getToTime() == null || p.getCaptureTime().isBefore(q.getToTime());
            if (camera && after && before) {
                context().forward(record.withKey(q.getQueryId()));
            }
        }
    }
}

package io.sieve.stream;

import io.sieve.schemas.Prediction;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Sends each prediction to the queries it belongs to, keyed by query id: a retrospective query's
 * frames name it; a live query takes every frame of its cameras inside its time window.
 */
final class QueryRouter extends ContextualProcessor<String, Prediction, String, Prediction> {
    static final Duration REFRESH = Duration.ofSeconds(1);

    private final String queriesStore;
    private List<QueryCommand> live = List.of();

    QueryRouter(String queriesStore) {
        this.queriesStore = queriesStore;
    }

    @Override
    public void init(org.apache.kafka.streams.processor.api.ProcessorContext<String, Prediction> context) {
        super.init(context);
        refresh();
        context.schedule(REFRESH, PunctuationType.WALL_CLOCK_TIME, t -> refresh());
    }

    private void refresh() {
        TimestampedKeyValueStore<String, QueryCommand> store = context().getStateStore(queriesStore);
        List<QueryCommand> found = new ArrayList<>();
        try (KeyValueIterator<String, ValueAndTimestamp<QueryCommand>> all = store.all()) {
            all.forEachRemaining(kv -> {
                QueryCommand q = kv.value.value();
                if (q.getMode() == QueryMode.LIVE && q.getAction() == QueryAction.START) {
                    found.add(q);
                }
            });
        }
        live = found;
    }

    @Override
    public void process(Record<String, Prediction> record) {
        Prediction p = record.value();
        if (p.getQueryId() != null) {
            context().forward(record.withKey(p.getQueryId()));
            return;
        }
        for (QueryCommand q : live) {
            boolean camera = q.getCameras().isEmpty() || q.getCameras().contains(p.getCameraId());
            boolean after = q.getFromTime() == null || !p.getCaptureTime().isBefore(q.getFromTime());
            boolean before = q.getToTime() == null || p.getCaptureTime().isBefore(q.getToTime());
            if (camera && after && before) {
                context().forward(record.withKey(q.getQueryId()));
            }
        }
    }
}

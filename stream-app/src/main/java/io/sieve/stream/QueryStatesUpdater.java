package io.sieve.stream;

import io.sieve.schemas.QueryCommand;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Keeps the global query-states store (and, where given, the live-query index) equal to the
 * latest command of every query. Kafka Streams restores a global store by replaying its topic
 * through this processor, so the index is rebuilt on every start as well.
 */
final class QueryStatesUpdater implements Processor<String, QueryCommand, Void, Void> {
    private final String storeName;
    private final LiveQueries live;
    private TimestampedKeyValueStore<String, QueryCommand> store;

    /** @param live the index to keep, or null where no one routes live queries */
    QueryStatesUpdater(String storeName, LiveQueries live) {
        this.storeName = storeName;
        this.live = live;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, QueryCommand> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            store.put(record.key(), ValueAndTimestamp.make(record.value(), record.timestamp()));
        }
        if (live != null) {
            live.apply(record.key(), record.value());
        }
    }
}

package io.sieve.stream;

import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The running live queries of one Kafka Streams instance, kept up to date by the global thread as
 * commands arrive (and as the query-states store is restored), read by the stream threads that
 * route predictions. Only running live queries are held, so routing a prediction costs a pass over
 * those, however many queries were ever run.
 */
final class LiveQueries {
    private final ConcurrentHashMap<String, QueryCommand> running = new ConcurrentHashMap<>();

    /** Applies the latest command of query {@code queryId} ({@code null}: the query is deleted). */
    void apply(String queryId, QueryCommand latest) {
        if (latest != null && latest.getMode() == QueryMode.LIVE && latest.getAction() == QueryAction.START) {
            running.put(queryId, latest);
        } else {
            running.remove(queryId);
        }
    }

    Collection<QueryCommand> running() {
        return running.isEmpty() ? List.of() : running.values();
    }
}

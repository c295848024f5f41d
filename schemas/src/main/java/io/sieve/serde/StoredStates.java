package io.sieve.serde;

import io.sieve.schemas.QueryAggregateState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;

/**
 * Reading what Sieve keeps in its own state stores across upgrades. A stored value names its
 * writer's schema by fingerprint (Avro single-object encoding); a decoder that knows only today's
 * schema refuses every value an earlier version wrote, so every released version of a stored
 * record's schema is kept as a resource ({@code avro-history/<Record>.v<N>.avsc}, N from 1, the
 * last one today's, written out whole) and resolved to today's, fields added since taking their defaults.
 */
public final class StoredStates {
    private static final String HISTORY = "/avro-history/";

    private StoredStates() {
    }

    /** A decoder of query aggregates written by this or any earlier version. */
    public static BinaryMessageDecoder<QueryAggregateState> queryAggregates() {
        SchemaStore.Cache known = new SchemaStore.Cache();
        history("QueryAggregateState").forEach(known::addSchema);
        return QueryAggregateState.createDecoder(known);
    }

    /** Every released version of a stored record's schema, oldest first. */
    public static List<Schema> history(String record) {
        List<Schema> versions = new ArrayList<>();
        for (int v = 1; ; v++) {
            try (InputStream in = StoredStates.class.getResourceAsStream(HISTORY + record + ".v" + v + ".avsc")) {
                if (in == null) {
                    break;
                }
                // Each version is whole, the enums it shares with topic records as they were then: a type
                // taken from today's classes would change an old version's fingerprint.
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read schema version " + v + " of " + record, e);
            }
        }
        if (versions.isEmpty()) {
            throw new IllegalStateException("no schema history of " + record + " under " + HISTORY);
        }
        return versions;
    }
}

package io.sieve.client;

import org.apache.kafka.common.serialization.Serde;

/** A topic's name with the serdes of its keys and values. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
}

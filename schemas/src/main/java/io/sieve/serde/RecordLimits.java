package io.sieve.serde;

/** Size limits that producers and the topics they write to must agree on. */
public final class RecordLimits {
    private RecordLimits() {
    }

    /**
     * The largest record Sieve sends, and the {@code max.message.bytes} of the topics the stream app
     * creates: a batch of frames at CIFAR size is a few hundred kilobytes, so this leaves room for
     * larger model inputs without letting one record monopolise a fetch.
     */
    public static final int MAX_RECORD_BYTES = 8 * 1024 * 1024;
}

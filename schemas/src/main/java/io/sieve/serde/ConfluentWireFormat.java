package io.sieve.serde;

/**
 * The Confluent wire format: magic byte 0, the schema's registry id as a 4-byte big-endian int,
 * then the Avro binary encoding of the record.
 */
public final class ConfluentWireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private ConfluentWireFormat() {
    }

    /** The schema id in a record's header, or an error saying why the bytes are not in this format. */
    public static int schemaId(String topic, byte[] data) {
        if (data == null || data.length == 0) {
            throw new org.apache.kafka.common.errors.SerializationException(
                    "empty payload on topic " + topic + ": not a Confluent-format Avro record");
        }
        if (data.length < HEADER_SIZE) {
            throw new org.apache.kafka.common.errors.SerializationException(
                    "payload of " + data.length + " bytes on topic " + topic + " is shorter than the 5-byte header");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new org.apache.kafka.common.errors.SerializationException(
                    "unknown magic byte " + data[0] + " on topic " + topic + ": not a Confluent-format Avro record");
        }
        return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    }

    static void writeHeader(byte[] target, int schemaId) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }
}

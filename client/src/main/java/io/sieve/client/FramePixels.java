package io.sieve.client;

import io.sieve.images.DataException;
import io.sieve.images.Image;
import io.sieve.images.ImageCodec;
import io.sieve.images.PixelEncoding;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameEncoding;
import io.sieve.schemas.PixelLayout;
import java.nio.ByteBuffer;

/** A frame's picture in and out of its record: the one place that knows how pixels are carried. */
public final class FramePixels {
    private FramePixels() {
    }

    /** Sets the frame's size, layout, encoding and payload to {@code image} encoded as asked. */
    public static Frame.Builder withImage(Frame.Builder frame, Image image, PixelEncoding encoding, float jpegQuality) {
        return frame.setWidth(image.width()).setHeight(image.height()).setChannels(image.channels())
                .setLayout(encoding == PixelEncoding.RAW && image.layout() == Image.Layout.CHW ? PixelLayout.CHW : PixelLayout.HWC)
                .setEncoding(FrameEncoding.valueOf(encoding.name()))
                .setPixels(ByteBuffer.wrap(ImageCodec.encode(image, encoding, jpegQuality)));
    }

    /**
     * The buffer's bytes: its own array when the buffer is all of it (as Avro decodes a bytes field),
     * so a raw frame's pixels are not copied; images are never written to.
     */
    public static byte[] payload(ByteBuffer buffer) {
        if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0 && buffer.remaining() == buffer.array().length) {
            return buffer.array();
        }
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }

    public static PixelEncoding encoding(Frame frame) {
        return PixelEncoding.valueOf(frame.getEncoding().name());
    }

    /**
     * The frame's picture, decoded.
     *
     * @throws DataException saying why when the payload does not hold the picture the frame declares
     */
    public static Image image(Frame frame) {
        byte[] payload = payload(frame.getPixels());
        PixelEncoding encoding = encoding(frame);
        if (encoding != PixelEncoding.RAW && frame.getChannels() != 3) {
            throw new DataException(encoding + " frames are RGB, this one declares " + frame.getChannels() + " channels");
        }
        return ImageCodec.decode(payload, encoding, frame.getWidth(), frame.getHeight(), frame.getChannels(),
                frame.getLayout() == PixelLayout.CHW ? Image.Layout.CHW : Image.Layout.HWC);
    }
}

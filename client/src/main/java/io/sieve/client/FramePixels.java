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

    public static PixelEncoding encoding(Frame frame) {
        return PixelEncoding.valueOf(frame.getEncoding().name());
    }

    /**
     * The frame's picture, decoded.
     *
     * @throws DataException saying why when the payload does not hold the picture the frame declares
     */
    public static Image image(Frame frame) {
        ByteBuffer buffer = frame.getPixels().duplicate();
        byte[] payload = new byte[buffer.remaining()];
        buffer.get(payload);
        PixelEncoding encoding = encoding(frame);
        if (encoding != PixelEncoding.RAW && frame.getChannels() != 3) {
            throw new DataException(encoding + " frames are RGB, this one declares " + frame.getChannels() + " channels");
        }
        return ImageCodec.decode(payload, encoding, frame.getWidth(), frame.getHeight(), frame.getChannels(),
                frame.getLayout() == PixelLayout.CHW ? Image.Layout.CHW : Image.Layout.HWC);
    }
}

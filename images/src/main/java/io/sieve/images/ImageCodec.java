package io.sieve.images;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Encodes RGB images as frame payloads and decodes them back, by the JDK's own JPEG and PNG codecs. */
public final class ImageCodec {
    /** JPEG quality when none is asked for: visually lossless for classifiers (BENCHMARKS.md measures its cost). */
    public static final float DEFAULT_JPEG_QUALITY = 0.9f;

    static {
        // ImageIO would otherwise cache streams in temporary files on every call.
        ImageIO.setUseCache(false);
    }

    private ImageCodec() {
    }

    /** The payload of {@code image} in {@code encoding}; RAW hands back the pixel array itself. */
    public static byte[] encode(Image image, PixelEncoding encoding, float jpegQuality) {
        if (encoding == PixelEncoding.RAW) {
            return image.pixels();
        }
        if (image.channels() != 3) {
            throw new IllegalArgumentException("only RGB images can be encoded as " + encoding + ", this one has "
                    + image.channels() + " channels");
        }
        BufferedImage picture = toPicture(image);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.pixels().length / 4 + 256);
        ImageWriter writer = ImageIO.getImageWritersByFormatName(encoding == PixelEncoding.JPEG ? "jpeg" : "png").next();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (encoding == PixelEncoding.JPEG) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(jpegQuality);
            }
            writer.write(null, new IIOImage(picture, null, null), param);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a " + image.width() + "x" + image.height() + " image as " + encoding, e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * The image a payload holds, checked against the size the frame declares.
     *
     * @throws DataException naming what is wrong when the payload cannot be decoded or has another size
     */
    public static Image decode(byte[] payload, PixelEncoding encoding, int width, int height, int channels, Image.Layout layout) {
        if (encoding == PixelEncoding.RAW) {
            try {
                return new Image(width, height, channels, layout, payload);
            } catch (IllegalArgumentException e) {
                throw new DataException(e.getMessage(), e);
            }
        }
        BufferedImage picture;
        try {
            picture = readPicture(payload);
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot decode the " + payload.length + "-byte " + encoding + " payload: " + e.getMessage(), e);
        }
        if (picture == null) {
            throw new DataException("the " + payload.length + "-byte payload is not a " + encoding + " image");
        }
        if (picture.getWidth() != width || picture.getHeight() != height) {
            throw new DataException("the " + encoding + " payload is " + picture.getWidth() + "x" + picture.getHeight()
                    + " but the frame says " + width + "x" + height);
        }
        return fromPicture(picture);
    }

    /** The picture in PNG, JPEG (or other ImageIO-readable) bytes, or null if no reader knows them. */
    static BufferedImage readPicture(byte[] bytes) throws IOException {
        return ImageIO.read(new ByteArrayInputStream(bytes));
    }

    /** An interleaved RGB image of a decoded picture at its own size; the common 3-byte BGR raster is copied without per-pixel calls. */
    public static Image fromPicture(BufferedImage picture) {
        if (picture.getType() == BufferedImage.TYPE_3BYTE_BGR
                && picture.getRaster().getDataBuffer() instanceof DataBufferByte buffer
                && buffer.getNumBanks() == 1
                && buffer.getData().length == picture.getWidth() * picture.getHeight() * 3) {
            byte[] bgr = buffer.getData();
            byte[] rgb = new byte[bgr.length];
            for (int i = 0; i < bgr.length; i += 3) {
                rgb[i] = bgr[i + 2];
                rgb[i + 1] = bgr[i + 1];
                rgb[i + 2] = bgr[i];
            }
            return new Image(picture.getWidth(), picture.getHeight(), 3, Image.Layout.HWC, rgb);
        }
        int w = picture.getWidth();
        int h = picture.getHeight();
        int[] packed = picture.getRGB(0, 0, w, h, null, 0, w);
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < packed.length; i++) {
            rgb[3 * i] = (byte) (packed[i] >> 16);
            rgb[3 * i + 1] = (byte) (packed[i] >> 8);
            rgb[3 * i + 2] = (byte) packed[i];
        }
        return new Image(w, h, 3, Image.Layout.HWC, rgb);
    }

    private static BufferedImage toPicture(Image image) {
        int w = image.width();
        int h = image.height();
        BufferedImage picture = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) picture.getRaster().getDataBuffer()).getData();
        byte[] px = image.pixels();
        int plane = w * h;
        boolean planar = image.layout() == Image.Layout.CHW;
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                bgr[3 * i + 2 - c] = planar ? px[c * plane + i] : px[3 * i + c];
            }
        }
        return picture;
    }
}

package io.sieve.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageCodecTest {

    static Image smooth(int width, int height) {
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = 3 * (y * width + x);
                px[i] = (byte) (255 * x / width);
                px[i + 1] = (byte) (255 * y / height);
                px[i + 2] = (byte) 128;
            }
        }
        return new Image(width, height, 3, Image.Layout.HWC, px);
    }

    @Test
    void pngIsExactForInterleavedAndPlanarImages() {
        byte[] noise = new byte[20 * 12 * 3];
        new Random(3).nextBytes(noise);
        Image image = new Image(20, 12, 3, Image.Layout.HWC, noise);
        Image back = ImageCodec.decode(ImageCodec.encode(image, PixelEncoding.PNG, 0), PixelEncoding.PNG, 20, 12, 3, Image.Layout.HWC);
        assertThat(back.pixels()).isEqualTo(noise);

        Image planar = new Image(20, 12, 3, Image.Layout.CHW, noise);
        Image decoded = ImageCodec.decode(ImageCodec.encode(planar, PixelEncoding.PNG, 0), PixelEncoding.PNG, 20, 12, 3, Image.Layout.HWC);
        assertThat(decoded.layout()).isEqualTo(Image.Layout.HWC);
        assertThat(decoded.pixels()[3 * 5 + 2]).isEqualTo(noise[2 * 240 + 5]);
    }

    @Test
    void jpegIsCloseAndSmallerThanRaw() {
        Image image = smooth(96, 96);
        byte[] jpeg = ImageCodec.encode(image, PixelEncoding.JPEG, ImageCodec.DEFAULT_JPEG_QUALITY);
        assertThat(jpeg.length).isLessThan(image.pixels().length / 4);
        Image back = ImageCodec.decode(jpeg, PixelEncoding.JPEG, 96, 96, 3, Image.Layout.HWC);
        double error = 0;
        for (int i = 0; i < image.pixels().length; i++) {
            error += Math.abs((image.pixels()[i] & 0xff) - (back.pixels()[i] & 0xff));
        }
        assertThat(error / image.pixels().length).isLessThan(3.0);
    }

    @Test
    void rawIsThePixelArrayItself() {
        Image image = smooth(4, 4);
        assertThat(ImageCodec.encode(image, PixelEncoding.RAW, 0)).isSameAs(image.pixels());
    }

    @Test
    void undecodableOrMissizedPayloadsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> ImageCodec.decode(new byte[] {1, 2, 3}, PixelEncoding.JPEG, 4, 4, 3, Image.Layout.HWC))
                .isInstanceOf(DataException.class).hasMessageContaining("not a JPEG image");
        byte[] png = ImageCodec.encode(smooth(8, 6), PixelEncoding.PNG, 0);
        assertThatThrownBy(() -> ImageCodec.decode(png, PixelEncoding.PNG, 8, 8, 3, Image.Layout.HWC))
                .isInstanceOf(DataException.class).hasMessageContaining("is 8x6 but the frame says 8x8");
        assertThatThrownBy(() -> ImageCodec.decode(new byte[10], PixelEncoding.RAW, 4, 4, 3, Image.Layout.HWC))
                .isInstanceOf(DataException.class).hasMessageContaining("needs 48 pixel bytes, got 10");
    }
}

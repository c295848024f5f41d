package io.sieve.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.images.Image;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ResizerTest {

    @Test
    void eachOutputPixelIsTheMeanOfTheBlockItCovers() {
        // 4x4 source of 2x2 blocks: each block has pixels 0, 100, 100, 200 -> mean 100.
        int[] rgb = new int[16];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int v = ((x % 2) + (y % 2)) * 100;
                rgb[y * 4 + x] = (v << 16) | (v << 8) | v;
            }
        }
        Image out = Resizer.areaAverage(rgb, 4, 4, 2, 2);
        for (byte b : out.pixels()) {
            assertThat(b & 0xff).isEqualTo(100);
        }
    }

    @Test
    void aWidePictureIsCroppedToItsCentreNotStretched() {
        // 96x32: left third red, middle third green, right third blue; the square crop keeps only green.
        BufferedImage wide = new BufferedImage(96, 32, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 96; x++) {
            int colour = x < 32 ? 0xff0000 : x < 64 ? 0x00ff00 : 0x0000ff;
            for (int y = 0; y < 32; y++) {
                wide.setRGB(x, y, colour);
            }
        }
        Image out = Resizer.toModelInput(wide, 32, 32);
        assertThat(out.width()).isEqualTo(32);
        assertThat(out.layout()).isEqualTo(Image.Layout.HWC);
        for (int i = 0; i < 32 * 32; i++) {
            assertThat(out.pixels()[3 * i] & 0xff).isZero();
            assertThat(out.pixels()[3 * i + 1] & 0xff).isEqualTo(255);
            assertThat(out.pixels()[3 * i + 2] & 0xff).isZero();
        }
    }
}

package io.sieve.images;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResizeTest {

    private static Image grey(int width, int height, java.util.function.IntBinaryOperator value) {
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = value.applyAsInt(x, y);
                for (int c = 0; c < 3; c++) {
                    px[3 * (y * width + x) + c] = (byte) v;
                }
            }
        }
        return new Image(width, height, 3, Image.Layout.HWC, px);
    }

    @Test
    void eachAreaAveragedPixelIsTheMeanOfTheBlockItCovers() {
        // 4x4 of 2x2 blocks, each with pixels 0, 100, 100, 200: every mean is 100.
        Image out = Resize.to(grey(4, 4, (x, y) -> ((x % 2) + (y % 2)) * 100), 2, 2, ResizeMethod.AREA);
        for (byte b : out.pixels()) {
            assertThat(b & 0xff).isEqualTo(100);
        }
    }

    @Test
    void aFractionalFactorWeighsTheSourcePixelsByHowMuchOfThemEachOutputCovers() {
        // 5 -> 2: output 0 covers pixels 0, 1 and half of 2; output 1 the other half of 2, then 3 and 4.
        Image ramp = grey(5, 1, (x, y) -> 50 * x);
        Image out = Resize.to(ramp, 2, 1, ResizeMethod.AREA);
        assertThat(out.pixels()[0] & 0xff).isEqualTo(40);
        assertThat(out.pixels()[3] & 0xff).isEqualTo(160);
    }

    @Test
    void aWidePictureIsCroppedToItsCentreNotStretched() {
        // 96x32: left third 10, middle third 200, right third 50; the square crop keeps only the middle.
        Image wide = grey(96, 32, (x, y) -> x < 32 ? 10 : x < 64 ? 200 : 50);
        Image cropped = Resize.to(wide, 16, 16, ResizeMethod.CENTER_CROP);
        for (byte b : cropped.pixels()) {
            assertThat(b & 0xff).isEqualTo(200);
        }
        Image stretched = Resize.to(wide, 16, 16, ResizeMethod.AREA);
        assertThat(stretched.pixels()[0] & 0xff).isEqualTo(10);
        assertThat(stretched.pixels()[3 * 15] & 0xff).isEqualTo(50);
    }

    @Test
    void bilinearInterpolatesBetweenPixelCentres() {
        // A horizontal ramp 0, 100 upscaled to 4 wide: centres at 0.25 and 0.75 of the gap -> 0, 25, 75, 100.
        Image ramp = grey(2, 1, (x, y) -> x * 100);
        Image out = Resize.to(ramp, 4, 1, ResizeMethod.BILINEAR);
        assertThat(new int[] {out.pixels()[0] & 0xff, out.pixels()[3] & 0xff, out.pixels()[6] & 0xff, out.pixels()[9] & 0xff})
                .containsExactly(0, 25, 75, 100);
    }

    @Test
    void planarImagesResizeLikeInterleavedOnesAndSameSizeIsNoCopy() {
        Image interleaved = grey(8, 8, (x, y) -> x * 30 + y);
        byte[] planes = new byte[8 * 8 * 3];
        for (int i = 0; i < 64; i++) {
            for (int c = 0; c < 3; c++) {
                planes[c * 64 + i] = interleaved.pixels()[3 * i + c];
            }
        }
        Image planar = new Image(8, 8, 3, Image.Layout.CHW, planes);
        for (ResizeMethod m : ResizeMethod.values()) {
            assertThat(Resize.to(planar, 3, 5, m).pixels()).as(m.name()).isEqualTo(Resize.to(interleaved, 3, 5, m).pixels());
            assertThat(Resize.to(planar, 4, 2, m).pixels()).as(m.name() + ", whole factors").isEqualTo(Resize.to(interleaved, 4, 2, m).pixels());
        }
        assertThat(Resize.to(planar, 8, 8, ResizeMethod.BILINEAR)).isSameAs(planar);
    }

    @Test
    void wholeFactorBlocksAverageLikeTheGeneralAreaAverage() {
        java.util.Random random = new java.util.Random(9);
        byte[] px = new byte[224 * 224 * 3];
        random.nextBytes(px);
        Image frame = new Image(224, 224, 3, Image.Layout.HWC, px);
        // 224 -> 32 takes the whole-factor path; 224 -> 31 the general one. 7x7 blocks by hand:
        Image blocks = Resize.to(frame, 32, 32, ResizeMethod.AREA);
        for (int oy : new int[] {0, 13, 31}) {
            for (int ox : new int[] {0, 20, 31}) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int y = 7 * oy; y < 7 * oy + 7; y++) {
                        for (int x = 7 * ox; x < 7 * ox + 7; x++) {
                            sum += px[3 * (y * 224 + x) + c] & 0xff;
                        }
                    }
                    assertThat(blocks.pixels()[3 * (oy * 32 + ox) + c] & 0xff).isEqualTo((sum + 24) / 49);
                }
            }
        }
    }

    @Test
    void methodsAreParsedByTheirCardNames() {
        assertThat(ResizeMethod.parse("center-crop")).isEqualTo(ResizeMethod.CENTER_CROP);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ResizeMethod.parse("nearest"))
                .hasMessageContaining("unknown resize method 'nearest'").hasMessageContaining("bilinear");
    }
}

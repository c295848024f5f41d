package io.sieve.producer;

import io.sieve.images.Image;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * A video file or stream URL decoded by ffmpeg in a child process, which writes raw RGB frames
 * to a pipe. ffmpeg does the same resize as {@link io.sieve.images.ResizeMethod#CENTER_CROP}: a centred crop to the target aspect
 * ratio, then an area-average downscale ({@code scale=...:flags=area}).
 */
public final class VideoSource implements FrameSource {
    private final String input;
    private final String cameraId;
    private final int width;
    private final int height;
    private final Process ffmpeg;
    private final DataInputStream frames;
    private final Path errorLog;
    private long sequence;

    public VideoSource(String input, String cameraId, int width, int height, Double sampleFps) {
        this.input = input;
        this.cameraId = cameraId;
        this.width = width;
        this.height = height;
        if (!input.contains("://") && !Files.isRegularFile(Path.of(input))) {
            throw new SourceException("video " + input + " does not exist");
        }
        requireFfmpeg();
        String crop = String.format("crop='min(iw,ih*%d/%d)':'min(ih,iw*%d/%d)'", width, height, height, width);
        String filter = (sampleFps != null ? "fps=" + sampleFps + "," : "") + crop + ",scale=" + width + ":" + height + ":flags=area";
        List<String> command = new ArrayList<>(List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", input,
                "-an", "-vf", filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"));
        try {
            errorLog = Files.createTempFile("sieve-ffmpeg-", ".log");
            ffmpeg = new ProcessBuilder(command).redirectError(errorLog.toFile()).start();
        } catch (IOException e) {
            throw new SourceException("cannot start ffmpeg for " + input + ": " + e.getMessage(), e);
        }
        frames = new DataInputStream(ffmpeg.getInputStream());
    }

    /** Whether ffmpeg runs here, which video input needs. */
    public static boolean ffmpegAvailable() {
        try {
            Process p = new ProcessBuilder("ffmpeg", "-version").redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void requireFfmpeg() {
        if (ffmpegAvailable()) {
            return;
        }
        throw new SourceException("video input needs ffmpeg, which is not installed (or not on the PATH); "
                + "on Debian or Ubuntu: sudo apt-get install ffmpeg");
    }

    @Override
    public String describe() {
        return "video " + input;
    }

    @Override
    public SourceFrame next() {
        byte[] pixels = new byte[width * height * 3];
        try {
            frames.readFully(pixels);
        } catch (EOFException e) {
            finish();
            return null;
        } catch (IOException e) {
            throw new SourceException("reading frames of " + input + " from ffmpeg failed after " + sequence + " frames: " + e.getMessage(), e);
        }
        return new SourceFrame(cameraId, sequence++, Instant.now(), new Image(width, height, 3, Image.Layout.HWC, pixels), null);
    }

    /** At the end of the pipe: a non-zero exit of ffmpeg is an error, saying how many frames came before it. */
    private void finish() {
        try {
            if (!ffmpeg.waitFor(10, TimeUnit.SECONDS)) {
                ffmpeg.destroyForcibly();
            }
            int exit = ffmpeg.exitValue();
            if (exit != 0) {
                String why = Files.readString(errorLog, StandardCharsets.UTF_8).trim();
                throw new SourceException("ffmpeg cannot decode " + input + " (exit " + exit + ")"
                        + (sequence > 0 ? " after " + sequence + " frames" : "; no frame was read") + ": " + why);
            }
        } catch (IOException e) {
            throw new SourceException("cannot read ffmpeg's messages for " + input + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException("interrupted while reading " + input);
        }
    }

    @Override
    public OptionalLong expectedFrames() {
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        ffmpeg.destroy();
        try {
            InputStream in = ffmpeg.getInputStream();
            in.close();
            Files.deleteIfExists(errorLog);
        } catch (IOException e) {
            // The process is gone either way.
        }
    }
}

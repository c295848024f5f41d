package io.sieve.cli;

import io.sieve.ui.SieveUi;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.images.Cifar10;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.ModelCard;
import io.sieve.client.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SyntheticSource;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.QueryClient;
import io.sieve.client.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The page in a real headless Chromium: start a live query, watch it progress, abort it, see it stop. */
@IntegrationTest
class BrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void startWatchAbort(PlatformConfig platform, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        Path home = Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath();
        Path cascade = fixtureCascade(home, dir);
        String prefix = "ui-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix)
                .withSetting("application.id", prefix + "app").withSetting("metrics.port", "0")
                .withSetting("state.dir", dir.resolve("state").toString());
        Topics topics = new Topics(prefix, platform.registryUrl());
        AtomicBoolean stopCamera = new AtomicBoolean();
        try (SieveStreamApp app = SieveStreamApp.start(cascade, cluster, StreamAppConfig.from(cluster, home), Duration.ofSeconds(90));
             SieveUi ui = UiCommand.start(cluster, ModelCards.ofCascade(cascade).classes(), "127.0.0.1", 0, true)) {
            CompletableFuture<ProducerRun.Result> camera = CompletableFuture.supplyAsync(() -> {
                try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 5, Duration.ofMillis(50))) {
                    return ProducerRun.run(List.of(new SyntheticSource("cam-ui", 32, 32, 0)), publisher, 40, null, stopCamera, n -> { });
                }
            });
            WebDriver browser = chrome(dir);
            try {
                browser.get("http://127.0.0.1:" + ui.port() + "/");
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
                // The target list is the cascade's own classes, not CIFAR-10's.
                wait.until(b -> b.findElements(By.cssSelector("#target option")).size() > 1);
                assertThat(browser.findElements(By.cssSelector("#target option")).stream().map(o -> o.getAttribute("value")).toList())
                        .containsExactlyElementsOf(java.util.stream.Stream.concat(java.util.stream.Stream.of(""), UI_CLASSES.stream()).toList());
                browser.findElement(By.id("query-id")).sendKeys("ui-live");
                browser.findElement(By.id("cameras")).sendKeys("cam-ui");
                browser.findElement(By.id("start-button")).click();

                wait.until(b -> seen(b) > 0);
                long first = seen(browser);
                wait.until(b -> seen(b) > first);
                assertThat(browser.findElement(By.id("state")).getText()).isEqualTo("RUNNING");

                browser.findElement(By.id("abort-button")).click();
                wait.until(b -> b.findElement(By.id("state")).getText().equals("ABORTED"));
                long atAbort = seen(browser);
                Thread.sleep(2500);
                assertThat(seen(browser)).as("frames counted after the abort").isEqualTo(atAbort);
                assertThat(browser.findElement(By.id("abort-button")).isEnabled()).isFalse();

                Path shots = home.resolve("consumer-ui/target/screenshots");
                Files.createDirectories(shots);
                Files.write(shots.resolve("query-aborted.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            } finally {
                browser.quit();
                stopCamera.set(true);
                camera.join();
            }
        }
    }

    /**
     * The demo as {@code ./sieve demo} runs it, on the default cascade: its parking-lot camera shows
     * footage nothing like CIFAR-10, and the page warns of drift within 30 s of the demo starting;
     * the CIFAR-10 replay, drawn like the calibration frames, shows none and ends at its requested
     * precision (DONE_AT_PRECISION) before its last frame; the scene cameras' live query shows its
     * true accuracy, within its estimated interval, and counts frames with nothing in view apart.
     */
    @Test
    void theDemosParkingLotWarnsOfDriftWithin30SecondsAndTheCifarReplayDoesNot(PlatformConfig platform, @TempDir Path dir)
            throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        Path home = Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath();
        Path video = home.resolve("../shared/data/video/car-detection.mp4").normalize();
        Assumptions.assumeTrue(Files.isRegularFile(video), "skipped: the sample video is not at " + video);
        // Without ffmpeg the live camera cannot start and the drift warning would never come: say so rather than time out.
        Assumptions.assumeTrue(io.sieve.producer.VideoSource.ffmpegAvailable(), "skipped: the demo's live camera needs ffmpeg (apt-get install ffmpeg)");
        try {
            Cifar10.locate(Cifar10.defaultLocations(home, System.getenv()));
        } catch (io.sieve.images.DataException e) {
            Assumptions.abort("skipped: " + e.getMessage());
        }
        String prefix = "demo-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix)
                .withSetting("application.id", prefix + "app").withSetting("metrics.port", "0")
                .withSetting("state.dir", dir.resolve("state").toString());
        // The browser starts first: on a busy 2-core machine Chromium alone takes seconds, which are not the demo's.
        WebDriver browser = chrome(dir);
        Path cascadeFile = home.resolve("models/cascades/default.cascade.json");
        CascadeDefinition definition = CascadeDefinition.read(cascadeFile);
        List<String> earlyStages = IntStream.range(0, definition.stages().size() - 1)
                .mapToObj(s -> "stage " + s + " (" + ModelCard.read(definition.cardPath(cascadeFile, s)).name() + ")").toList();
        try (Demo demo = Demo.start(cascadeFile, cluster, 0, DemoCommand.DEFAULT_REPLAY_FPS, video)) {
            long started = System.nanoTime();
            browser.get("http://127.0.0.1:" + demo.uiPort() + "/");
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            select(wait, Demo.LIVE_QUERY);
            double listed = (System.nanoTime() - started) / 1e9;
            wait.until(b -> b.findElement(By.id("drift-warning")).isDisplayed());
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("the parking lot's query was listed %.1f s and its drift warning showed %.1f s after the demo started: %s%n",
                    listed, seconds, browser.findElement(By.id("drift-warning")).getText());
            assertThat(seconds).as("seconds from the demo's start to the drift warning").isLessThan(30);
            String warning = browser.findElement(By.id("drift-warning")).getText();
            assertThat(warning).contains("departs from the calibration frames");
            assertThat(earlyStages).as("the stage the warning names").anyMatch(warning::contains);
            assertThat(browser.findElement(By.id("drift")).getText()).isEqualTo("no: drift alarm");
            Path shots = home.resolve("consumer-ui/target/screenshots");
            Files.createDirectories(shots);
            Files.write(shots.resolve("demo-drift.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

            // The replay asks for +-2 points on the automobiles' share and ends by itself once it has them.
            select(wait, demo.replayQuery());
            new WebDriverWait(browser, Duration.ofSeconds(120))
                    .until(b -> b.findElement(By.id("state")).getText().equals("DONE_AT_PRECISION"));
            assertThat(browser.findElement(By.id("drift-warning")).isDisplayed()).isFalse();
            assertThat(browser.findElement(By.id("drift")).getText()).isEqualTo("no departure detected");
            String precision = browser.findElement(By.id("precision-answer")).getText();
            System.out.println("the CIFAR-10 replay ended at its precision: " + precision + " after "
                    + browser.findElement(By.id("seen")).getText() + " frames");
            assertThat(precision).startsWith("±2.0 pts at 95% / ±").endsWith(": reached");
            double reached = Double.parseDouble(precision.replaceAll(".* / ±([0-9.]+) pts.*", "$1"));
            assertThat(reached).isLessThanOrEqualTo(2.0);
            assertThat(browser.findElement(By.id("progress-text")).getText()).as("stopped before its last frame").doesNotContain("100.0%");
            // Frames like the calibration frames: the self-correcting thresholds stay calibration's.
            assertThat(browser.findElement(By.id("thresholds")).getText()).endsWith("/ 1.0%");

            // The scene cameras' frames carry their truth: their live query shows its true accuracy, within the estimate's interval
            // once the frames with nothing in view (a camera's learned background) are left out of both.
            select(wait, Demo.SCENE_QUERY);
            wait.until(b -> b.findElement(By.id("true-accuracy")).getText().endsWith("%")
                    && b.findElement(By.id("nothing-in-view")).getText().contains("%"));
            String estimate = browser.findElement(By.id("accuracy")).getText();
            String truth = browser.findElement(By.id("true-accuracy")).getText();
            System.out.println("the scene cameras' live query after " + browser.findElement(By.id("seen")).getText() + " frames: estimated "
                    + estimate + ", true accuracy " + truth + ", nothing in view " + browser.findElement(By.id("nothing-in-view")).getText()
                    + ", drift: " + browser.findElement(By.id("drift")).getText());
            double[] interval = java.util.Arrays.stream(estimate.replaceAll(".*\\[(.*)\\].*", "$1").split(", "))
                    .mapToDouble(v -> Double.parseDouble(v.replace("%", ""))).toArray();
            assertThat(Double.parseDouble(truth.replace("%", ""))).as("true accuracy within %s", estimate).isBetween(interval[0], interval[1]);
            assertThat(browser.findElement(By.id("nothing-in-view")).getText()).as("no object taken for the background")
                    .doesNotContain("labelled with an object");
        } finally {
            browser.quit();
        }
    }

    @Test
    void theFormRejectsBadInputWithReasons(PlatformConfig platform, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "skipped: needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        String prefix = "ui-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix);
        Topics topics = new Topics(prefix, platform.registryUrl());
        try (SieveUi ui = SieveUi.start(cluster, topics, Cifar10.CLASSES, "127.0.0.1", 0, false)) {
            WebDriver browser = chrome(dir);
            try {
                browser.get("http://127.0.0.1:" + ui.port() + "/");
                browser.findElement(By.id("query-id")).sendKeys("<b>bad id</b>");
                browser.findElement(By.id("expected")).sendKeys("-5");
                browser.findElement(By.id("precision")).sendKeys("two");
                browser.findElement(By.id("start-button")).click();
                new WebDriverWait(browser, Duration.ofSeconds(20))
                        .until(b -> !b.findElements(By.cssSelector("#form-errors li")).isEmpty());
                String errors = browser.findElement(By.id("form-errors")).getText();
                assertThat(errors).contains("Query id must be", "Expected frames must be a positive whole number",
                        "Precision must be a number of percentage points");
                assertThat(browser.findElements(By.tagName("b"))).isEmpty();
            } finally {
                browser.quit();
            }
        }
    }

    /** What a page of another site (or a DNS-rebinding page) could send; no browser needed to send it. */
    @Test
    void theUiRefusesRequestsFromOtherSitesAndForeignHostNames(PlatformConfig platform) throws Exception {
        String prefix = "ui-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix);
        Topics topics = new Topics(prefix, platform.registryUrl());
        try (SieveUi ui = SieveUi.start(cluster, topics, Cifar10.CLASSES, "127.0.0.1", 0, false);
             QueryClient queries = new QueryClient(cluster, topics)) {
            String self = "127.0.0.1:" + ui.port();
            assertThat(raw(ui.port(), "POST /api/queries/q-csrf/abort", self, "http://evil.example")).startsWith("HTTP/1.1 403");
            assertThat(raw(ui.port(), "GET /api/queries", "rebind.evil.example:" + ui.port(), null)).startsWith("HTTP/1.1 403");
            assertThat(queries.latestCommand("q-csrf")).as("no command was sent").isEmpty();
            assertThat(raw(ui.port(), "GET /api/queries", self, null)).startsWith("HTTP/1.1 200");
            assertThat(raw(ui.port(), "POST /api/queries/q-own/abort", self, "http://" + self)).startsWith("HTTP/1.1 202");
        }
    }

    /** One HTTP/1.1 request with the given Host and Origin headers, written by hand (Java's HttpClient will not send a foreign Host). */
    private static String raw(int port, String requestLine, String host, String origin) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            String request = requestLine + " HTTP/1.1\r\nHost: " + host + "\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n")
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * Clicks the query's row once it is listed. The list is redrawn with every progress record, so the
     * row is found and clicked in one script: a row found by the driver may be gone by its click.
     */
    private static void select(WebDriverWait wait, String queryId) {
        wait.until(b -> {
            Object clicked = ((org.openqa.selenium.JavascriptExecutor) b).executeScript(
                    "const row = [...document.querySelectorAll('#queries tbody tr')].find((r) => r.dataset.id === arguments[0]);"
                            + " if (row) row.click(); return !!row;", queryId);
            return Boolean.TRUE.equals(clicked) && b.findElement(By.id("query-title")).getText().equals(queryId);
        });
    }

    private static long seen(WebDriver browser) {
        String text = browser.findElement(By.id("seen")).getText().replaceAll("[^0-9]", "");
        return text.isEmpty() ? 0 : Long.parseLong(text);
    }

    private static WebDriver chrome(Path dir) throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1100", "--user-data-dir=" + Files.createTempDirectory(dir, "chrome"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        return new ChromeDriver(service, options);
    }

    /** Ten classes that are not CIFAR-10's. */
    private static final List<String> UI_CLASSES = List.of("heron", "kingfisher", "moorhen", "coot", "grebe", "swan", "goose",
            "mallard", "teal", "wigeon");

    /** The tiny fixture models under cards that name {@link #UI_CLASSES}. */
    private static Path fixtureCascade(Path home, Path dir) throws Exception {
        Path fixtures = home.resolve("cascade/src/test/resources/fixtures");
        List<String> cards = new java.util.ArrayList<>();
        for (String model : List.of("tiny_logits", "tiny_softmax")) {
            ModelCard card = ModelCard.read(fixtures.resolve(model + ".card.json"));
            Path copy = dir.resolve(model + ".card.json");
            new ModelCard(card.name(), card.description(), card.onnxPath().toString(), card.input(), card.output(), null, UI_CLASSES,
                    card.params(), card.macs(), null, null, null, null, null, copy).write(copy);
            cards.add(copy.toString());
        }
        CascadeDefinition definition = new CascadeDefinition("ui-test", List.of(
                new CascadeDefinition.StageDefinition(cards.get(0), ConfidenceMeasure.MAX_PROBABILITY, 0.105, null, null, null, null, null),
                new CascadeDefinition.StageDefinition(cards.get(1), ConfidenceMeasure.MAX_PROBABILITY, null, null, null, null, null, null)), null, null);
        Path file = dir.resolve("ui.cascade.json");
        definition.write(file);
        return file;
    }
}

package io.sieve.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import io.sieve.client.ClusterConfig;
import io.sieve.client.QueryClient;
import io.sieve.client.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web page people keep open while queries run: the queries and their state, a form to start
 * one, live progress pushed by server-sent events, recent frames, and an Abort button.
 * Everything is served from this process; the page loads nothing from elsewhere.
 */
public final class SieveUi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SieveUi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Javalin server;
    private final QueryClient queries;
    private final AutoCloseable progressFollower;
    private final FrameGallery gallery;
    private final List<SseClient> clients = new CopyOnWriteArrayList<>();

    private SieveUi(ClusterConfig cluster, Topics topics, List<String> classes, String host, int port, boolean withGallery) {
        queries = new QueryClient(cluster, topics);
        ProgressBoard board = new ProgressBoard();
        List<Map<String, Object>> noFrames = List.of();
        AtomicReference<FrameGallery> galleryRef = new AtomicReference<>();
        AtomicReference<Javalin> serverRef = new AtomicReference<>();
        RequestGuard guard = new RequestGuard(host, () -> serverRef.get().port());
        server = Javalin.create(config -> {
            config.jetty.host = host;
            config.jetty.port = port;
            config.staticFiles.add("/public", Location.CLASSPATH);
            config.routes.before(ctx -> {
                String refusal = guard.refusal(ctx.method().name(), ctx.header("Host"), ctx.header("Origin"), ctx.header("Sec-Fetch-Site"));
                if (refusal != null) {
                    LOG.warn("refused {} {}: {}", ctx.method(), ctx.path(), refusal);
                    throw new ForbiddenResponse(refusal);
                }
            });
            config.routes.get("/api/queries", ctx -> ctx.contentType("application/json").result(json(board.all())));
            config.routes.get("/api/classes", ctx -> ctx.contentType("application/json").result(json(classes)));
            config.routes.get("/api/frames", ctx -> ctx.contentType("application/json")
                    .result(json(galleryRef.get() == null ? noFrames : galleryRef.get().recent())));
            config.routes.post("/api/queries", ctx -> start(ctx, queries, classes));
            config.routes.post("/api/queries/{id}/abort", ctx -> {
                String id = ctx.pathParam("id");
                if (!QueryClient.isValidName(id)) {
                    ctx.status(400).contentType("application/json").result(json(Map.of("errors", List.of("Unknown query id."))));
                    return;
                }
                queries.abort(id);
                ctx.status(202).contentType("application/json").result(json(Map.of("aborting", id)));
            });
            config.routes.sse("/api/events", client -> {
                client.keepAlive();
                client.onClose(() -> clients.remove(client));
                clients.add(client);
            });
        });
        serverRef.set(server);
        // Bind first: a taken port must fail before any consumer is started (it would be left running).
        try {
            server.start();
        } catch (RuntimeException e) {
            queries.close();
            throw new IllegalStateException("cannot serve the UI on " + host + ":" + port + ": " + rootMessage(e), e);
        }
        FrameGallery startedGallery = null;
        try {
            startedGallery = withGallery ? new FrameGallery(cluster, topics, 20, entry -> broadcast("frame", entry)) : null;
            galleryRef.set(startedGallery);
            progressFollower = queries.followProgress(p -> broadcast("progress", board.update(p)));
        } catch (RuntimeException e) {
            closeQuietly(startedGallery);
            server.stop();
            queries.close();
            throw e;
        }
        gallery = startedGallery;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    private static void closeQuietly(FrameGallery gallery) {
        if (gallery != null) {
            try {
                gallery.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the page on {@code host:port}; a port of 0 picks a free one. */
    public static SieveUi start(ClusterConfig cluster, Topics topics, List<String> classes, String host, int port, boolean withGallery) {
        return new SieveUi(cluster, topics, classes, host, port, withGallery);
    }

    public int port() {
        return server.port();
    }

    private static void start(Context ctx, QueryClient queries, List<String> classes) {
        QueryForm form = new QueryForm(ctx.formParam("id"), ctx.formParam("target"), ctx.formParam("cameras"),
                "on".equals(ctx.formParam("live")) || "true".equals(ctx.formParam("live")), ctx.formParam("expected"),
                ctx.formParam("from"), ctx.formParam("to"), ctx.formParam("precision"));
        List<String> errors = form.errors(classes);
        if (!errors.isEmpty()) {
            ctx.status(400).contentType("application/json").result(json(Map.of("errors", errors)));
            return;
        }
        queries.send(form.toCommand());
        ctx.status(201).contentType("application/json").result(json(Map.of("started", form.id())));
    }

    private void broadcast(String event, Object data) {
        String payload = json(data);
        for (SseClient client : clients) {
            try {
                client.sendEvent(event, payload);
            } catch (RuntimeException e) {
                clients.remove(client);
            }
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        progressFollower.close();
        queries.close();
        if (gallery != null) {
            gallery.close();
        }
        clients.forEach(SseClient::close);
        server.stop();
        LOG.info("UI stopped");
    }
}

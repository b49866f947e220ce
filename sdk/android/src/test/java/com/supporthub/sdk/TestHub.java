package com.supporthub.sdk;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * A real hub for the JVM tests: {@code node --import tsx src/main.ts} from the repository root on a
 * temporary data directory (as {@code npm start} runs it), synced to the fake Help Scout of
 * {@code test/sdk/agent-desk.ts}, whose agents answer through the vendor's signed webhook, and whose
 * push receiver is the app's push webhook. Kill and restart keep the port and the data.
 */
final class TestHub implements AutoCloseable {
    static final String APP_ID = "android-app";
    static final String SECRET = "android-identity-secret-0123456789";
    static final int ATTACHMENT_MAX_BYTES = 64 * 1024;
    private static final MediaType JSON = MediaType.parse("application/json");

    final File root = new File(System.getProperty("hub.root", "../..")).getAbsoluteFile();
    final File dataDir;
    final int port;
    private final Process desk;
    private final JSONObject deskInfo;
    private final OkHttpClient http = new OkHttpClient.Builder().readTimeout(60, TimeUnit.SECONDS).build();
    private Process hub;
    private File log;

    private static TestHub shared;

    /** One hub for every test class of the run (a start costs seconds); stopped when the JVM exits. */
    static synchronized TestHub shared() throws Exception {
        if (shared == null) {
            final TestHub hub = new TestHub();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    hub.close();
                } catch (Exception ignored) {
                    // exiting anyway
                }
            }));
            shared = hub;
        }
        return shared;
    }

    private TestHub() throws Exception {
        dataDir = java.nio.file.Files.createTempDirectory("supporthub-android-").toFile();
        port = freePort();
        ProcessBuilder deskBuilder = new ProcessBuilder("node", "--import", "tsx", "test/sdk/agent-desk.ts").directory(root).redirectError(new File(dataDir, "desk.log"));
        desk = deskBuilder.start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(desk.getInputStream(), StandardCharsets.UTF_8));
        String first = lines.readLine();
        if (first == null) throw new IllegalStateException("agent desk did not start: " + read(new File(dataDir, "desk.log")));
        deskInfo = new JSONObject(first);
        start();
        post("/webhook-target", new JSONObject().put("url", url() + "/webhooks/helpscout"));
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Starts the hub process and waits until {@code GET /readyz} answers 200. */
    void start() throws Exception {
        Map<String, String> env = new HashMap<String, String>();
        env.put("HUB_DATA_DIR", new File(dataDir, "hub").getPath());
        env.put("HOST", "127.0.0.1");
        env.put("PORT", String.valueOf(port));
        env.put("LOG_LEVEL", "warn");
        env.put("MAIL_CHECK_SENDERS", "false");
        env.put("CHAT_APP_ID", APP_ID);
        env.put("CHAT_IDENTITY_SECRET", SECRET);
        env.put("CHAT_ALLOW_ANONYMOUS", "true");
        env.put("CHAT_ATTACHMENT_MAX_BYTES", String.valueOf(ATTACHMENT_MAX_BYTES));
        env.put("CHAT_APP_REQUESTS_PER_SECOND", "500");
        env.put("CHAT_SESSION_MESSAGES_PER_MINUTE", "600");
        env.put("CHAT_PUSH_WEBHOOK_URL", deskInfo.getString("pushUrl"));
        env.put("CHAT_UNREAD_NOTIFY_AFTER_SECONDS", "5");
        // The tests count the messages they sent; an acknowledgement would add the team's own.
        env.put("ACK_ENABLED", "false");
        env.put("TEAM_BUSINESS_HOURS", "mon-sun 00:00-24:00");
        env.put("SYNC_HELPDESK", "helpscout");
        // The recorded v1 transcripts (test/channels/chat/transcripts) were made for this second app.
        File config = new File(dataDir, "hub-config.json");
        java.nio.file.Files.write(config.toPath(), "{\"chat\":{\"apps\":[{\"id\":\"transcript-app\",\"identitySecret\":\"transcript-secret\",\"allowAnonymous\":true}]}}".getBytes(StandardCharsets.UTF_8));
        env.put("HUB_CONFIG", config.getPath());
        JSONObject helpscout = deskInfo.getJSONObject("helpscoutEnv");
        for (Iterator<String> keys = helpscout.keys(); keys.hasNext(); ) {
            String key = keys.next();
            env.put(key, helpscout.getString(key));
        }
        log = new File(dataDir, "hub-" + System.currentTimeMillis() + ".log");
        ProcessBuilder builder = new ProcessBuilder("node", "--import", "tsx", "src/main.ts").directory(root).redirectErrorStream(true).redirectOutput(log);
        builder.environment().putAll(env);
        hub = builder.start();
        long deadline = System.currentTimeMillis() + 120000;
        while (System.currentTimeMillis() < deadline) {
            if (!hub.isAlive()) throw new IllegalStateException("hub exited (" + hub.exitValue() + "):\n" + read(log));
            try (Response response = http.newCall(new Request.Builder().url(url() + "/readyz").build()).execute()) {
                if (response.code() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("hub not ready within 120 s:\n" + read(log));
    }

    /** SIGKILL: no graceful stop, as when the machine dies. */
    void kill() throws InterruptedException {
        if (hub == null) return;
        hub.destroyForcibly();
        hub.waitFor(30, TimeUnit.SECONDS);
        hub = null;
    }

    /** An agent answers the conversation in the helpdesk; the hub receives it by webhook. */
    void agentReply(String conversationId, String text) throws Exception {
        post("/agent-reply", new JSONObject().put("conversation_id", conversationId).put("text", text));
    }

    /** What the hub POSTed to the app's push webhook so far. */
    JSONArray pushes() throws Exception {
        try (Response response = http.newCall(new Request.Builder().url(deskUrl() + "/pushes").build()).execute()) {
            return new JSONArray(response.body().string());
        }
    }

    /** A raw v1 call as another client would make it (to look at what the hub stored). */
    JSONObject v1(String method, String path, String sessionToken, JSONObject body) throws Exception {
        Request.Builder request = new Request.Builder().url(url() + path).header("X-Hub-App-Id", APP_ID);
        if (sessionToken != null) request.header("Authorization", "Bearer " + sessionToken);
        request.method(method, body == null ? null : RequestBody.create(JSON, body.toString()));
        try (Response response = http.newCall(request.build()).execute()) {
            String text = response.body().string();
            if (!response.isSuccessful()) throw new IllegalStateException(method + " " + path + " → " + response.code() + " " + text);
            return text.isEmpty() ? new JSONObject() : new JSONObject(text);
        }
    }

    private String deskUrl() throws Exception {
        return "http://127.0.0.1:" + deskInfo.getInt("control");
    }

    private void post(String path, JSONObject body) throws Exception {
        try (Response response = http.newCall(new Request.Builder().url(deskUrl() + path).post(RequestBody.create(JSON, body.toString())).build()).execute()) {
            if (!response.isSuccessful()) throw new IllegalStateException(path + " → " + response.code() + " " + response.body().string() + "\nhub log:\n" + read(log));
        }
    }

    String hubLog() {
        return read(log);
    }

    @Override
    public void close() throws Exception {
        kill();
        desk.getOutputStream().close();
        if (!desk.waitFor(10, TimeUnit.SECONDS)) desk.destroyForcibly();
        if (System.getenv("KEEP_HUB_DATA") == null) {
            java.nio.file.Files.walk(dataDir.toPath()).sorted(Comparator.reverseOrder()).map(java.nio.file.Path::toFile).forEach(File::delete);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String read(File file) {
        try {
            return file == null ? "" : new String(java.nio.file.Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}

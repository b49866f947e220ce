package com.supporthub.sdk;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Random;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * {@code GET /v1/stream} (v1 "Stream"): replays every message after the stored cursor, then live
 * ones; reconnects with jittered exponential backoff and resumes after the last message delivered.
 * The cursor is stored after each delivery, so a new process resumes where the last one stopped.
 * All state changes run on one thread ({@code loop}), in the order the socket reported them.
 */
final class Stream {
    private static final int BAD_REQUEST = 4400;
    private static final int UNAUTHORIZED = 4401;
    private static final int FLOODING = 4429;
    private static final int SEEN_LIMIT = 10000;

    private final HubApi api;
    private final Storage storage;
    private final String cursorKey;
    private final ScheduledExecutorService loop;
    private final Events events;
    private final Runnable onOpen;
    private final long initialDelayMs;
    private final long maxDelayMs;
    private final long heartbeatMs;
    private final Random random = new Random();
    // Replays overlap (at-least-once): remember recent ids so each message is delivered once.
    private final LinkedHashSet<String> seen = new LinkedHashSet<String>();

    private WebSocket socket;
    private Session socketSession;
    private String socketCursor;
    private int generation;
    private int attempt;
    private boolean stopped = true;
    private long lastFrameAt;
    private ScheduledFuture<?> heartbeat;
    private ScheduledFuture<?> reconnect;
    private ConnectionState state = ConnectionState.CLOSED;

    Stream(HubApi api, Storage storage, ScheduledExecutorService loop, Events events, Runnable onOpen, long initialDelayMs, long maxDelayMs, long heartbeatMs) {
        this.api = api;
        this.storage = storage;
        this.cursorKey = "supporthub." + api.appId + ".cursor";
        this.loop = loop;
        this.events = events;
        this.onOpen = onOpen;
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.heartbeatMs = heartbeatMs;
    }

    void start() {
        run(new Runnable() {
            public void run() {
                if (!stopped) return;
                stopped = false;
                attempt = 0;
                setState(ConnectionState.CONNECTING, 0);
                open();
            }
        });
    }

    void stop() {
        run(new Runnable() {
            public void run() {
                if (stopped) return;
                stopped = true;
                cancelReconnect();
                dropSocket();
                setState(ConnectionState.CLOSED, 0);
            }
        });
    }

    /** Connect again now, e.g. when Android reports the network is back. */
    void reconnectNow() {
        run(new Runnable() {
            public void run() {
                if (stopped) return;
                attempt = 0;
                cancelReconnect();
                dropSocket();
                setState(ConnectionState.RECONNECTING, 0);
                open();
            }
        });
    }

    /** The stored cursor of the current user: {"user": id, "cursor": c}; another user's is ignored. */
    String storedCursor(String userId) {
        String raw = storage.get(cursorKey);
        if (raw == null) return null;
        try {
            JSONObject json = new JSONObject(raw);
            return userId.equals(json.optString("user")) ? Json.string(json, "cursor") : null;
        } catch (JSONException e) {
            return null;
        }
    }

    private void storeCursor(String userId, String cursor) {
        try {
            JSONObject json = new JSONObject();
            json.put("user", userId);
            json.put("cursor", cursor);
            storage.set(cursorKey, json.toString());
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }

    void forgetCursor() {
        storage.remove(cursorKey);
        run(new Runnable() {
            public void run() {
                seen.clear();
            }
        });
    }

    private void open() {
        if (stopped) return;
        Session session;
        try {
            session = api.sessionForCall();
        } catch (SupportHubException e) {
            if (e.status == 401 && api.identity() == null) {
                // connect() before identify(), or after logout(): nobody to connect as.
                stopped = true;
                setState(ConnectionState.CLOSED_UNAUTHORIZED, 0);
                return;
            }
            // No session could be made (hub unreachable, 5xx): try again later.
            scheduleReconnect(0, 0);
            return;
        }
        String cursor = storedCursor(session.user.id);
        HttpUrl.Builder url = api.baseUrl.newBuilder().addPathSegments("v1/stream").addQueryParameter("app_id", api.appId).addQueryParameter("access_token", session.token);
        if (cursor != null) url.addQueryParameter("cursor", cursor);
        final int mine = ++generation;
        socketSession = session;
        socketCursor = cursor;
        lastFrameAt = System.currentTimeMillis();
        // OkHttp takes http(s) URLs for WebSockets and upgrades them (RFC 6455 §4.1).
        socket = api.http.newWebSocket(new Request.Builder().url(url.build()).build(), new WebSocketListener() {
            @Override
            public void onOpen(WebSocket webSocket, Response response) {
                onLoop(mine, new Runnable() {
                    public void run() {
                        lastFrameAt = System.currentTimeMillis();
                        startHeartbeat(mine);
                    }
                });
            }

            @Override
            public void onMessage(WebSocket webSocket, final String text) {
                onLoop(mine, new Runnable() {
                    public void run() {
                        lastFrameAt = System.currentTimeMillis();
                        onFrame(text);
                    }
                });
            }

            @Override
            public void onClosing(WebSocket webSocket, final int code, String reason) {
                webSocket.close(1000, null);
                onLoop(mine, new Runnable() {
                    public void run() {
                        Stream.this.onClosed(code);
                    }
                });
            }

            @Override
            public void onFailure(WebSocket webSocket, Throwable t, Response response) {
                onLoop(mine, new Runnable() {
                    public void run() {
                        Stream.this.onClosed(1006);
                    }
                });
            }
        });
    }

    /** On the loop; after {@code shutdown()} there is nothing left to do, so the task is dropped. */
    private void run(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException shutDown) {
            // The SDK was shut down: a late socket callback or a second stop() has nothing to change.
        }
    }

    /** Runs on the loop, and only while {@code generation} is still this socket's. */
    private void onLoop(final int mine, final Runnable task) {
        run(new Runnable() {
            public void run() {
                if (mine == generation && !stopped) task.run();
            }
        });
    }

    private void onFrame(String text) {
        JSONObject frame;
        try {
            frame = new JSONObject(text);
        } catch (JSONException e) {
            return; // not a frame of ours: skip, as unknown frames are
        }
        String type = frame.optString("type");
        if ("ready".equals(type)) {
            opened();
        } else if ("message".equals(type)) {
            JSONObject json = frame.optJSONObject("message");
            if (json == null || Json.string(json, "id") == null || Json.string(json, "cursor") == null) return;
            Message message = new Message(json);
            if (!remember(message.id)) return;
            storeCursor(socketSession.user.id, message.cursor);
            events.message(message);
        } else if ("conversation".equals(type)) {
            JSONObject json = frame.optJSONObject("conversation");
            if (json != null && Json.string(json, "id") != null) events.conversation(new Conversation(json));
        } else if ("ping".equals(type)) {
            if (socket != null) socket.send("{\"type\":\"pong\"}");
        }
        // "pong" and frame types this SDK does not know are skipped (v1 Compatibility).
    }

    private void opened() {
        attempt = 0;
        if (state != ConnectionState.OPEN) {
            setState(ConnectionState.OPEN, 0);
            onOpen.run();
        }
    }

    private void onClosed(int code) {
        dropSocket();
        if (stopped) return;
        if (code == UNAUTHORIZED) {
            // Expired or revoked token: a renewed session resumes; without one the stream is over.
            Session before = socketSession;
            Session renewed;
            try {
                renewed = api.renewAfter(before);
            } catch (SupportHubException e) {
                scheduleReconnect(code, 0);
                return;
            }
            if (renewed == null) {
                stopped = true;
                setState(ConnectionState.CLOSED_UNAUTHORIZED, code);
                return;
            }
            // A new anonymous visitor: the old user's cursor means nothing for their stream.
            if (before != null && !renewed.user.id.equals(before.user.id)) seen.clear();
            scheduleReconnect(code, 0);
            return;
        }
        if (code == BAD_REQUEST && socketCursor != null && socketSession != null) {
            // v1 4400 includes "a cursor this API did not issue" (a restored backup, another hub):
            // the stored cursor is the one thing to change, so drop it and retry once without it.
            storage.remove(cursorKey);
            scheduleReconnect(code, 0);
            return;
        }
        if (code == BAD_REQUEST) {
            // v1: "do not retry unchanged". Nothing else here would change by itself, so stop and say why.
            stopped = true;
            setState(ConnectionState.CLOSED_BAD_REQUEST, code);
            return;
        }
        // 4429: the hub saw us flooding; wait at least a few seconds whatever the attempt count.
        scheduleReconnect(code, code == FLOODING ? 5000 : 0);
    }

    private void scheduleReconnect(int closeCode, long minimumMs) {
        if (stopped) return;
        long ceiling = Math.min(maxDelayMs, initialDelayMs << Math.min(attempt, 20));
        // Jitter spreads the reconnects of many phones after a hub restart.
        long delay = Math.max(minimumMs, (long) (ceiling * (0.5 + random.nextDouble() * 0.5)));
        attempt++;
        setState(ConnectionState.RECONNECTING, closeCode);
        cancelReconnect();
        reconnect = loop.schedule(new Runnable() {
            public void run() {
                reconnect = null;
                open();
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    private void startHeartbeat(final int mine) {
        stopHeartbeat();
        heartbeat = loop.scheduleAtFixedRate(new Runnable() {
            public void run() {
                if (mine != generation || stopped || socket == null) return;
                long silent = System.currentTimeMillis() - lastFrameAt;
                // A half-open TCP connection never closes by itself: no frame for two periods means dead.
                if (silent >= heartbeatMs * 2) onClosed(1006);
                else if (silent >= heartbeatMs) socket.send("{\"type\":\"ping\"}");
            }
        }, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
    }

    private void stopHeartbeat() {
        if (heartbeat != null) heartbeat.cancel(false);
        heartbeat = null;
    }

    private void cancelReconnect() {
        if (reconnect != null) reconnect.cancel(false);
        reconnect = null;
    }

    private void dropSocket() {
        stopHeartbeat();
        generation++;
        WebSocket old = socket;
        socket = null;
        if (old != null) old.cancel();
    }

    private boolean remember(String id) {
        if (!seen.add(id)) return false;
        if (seen.size() > SEEN_LIMIT) {
            Iterator<String> oldest = seen.iterator();
            oldest.next();
            oldest.remove();
        }
        return true;
    }

    private void setState(ConnectionState next, int closeCode) {
        if (state == next && next != ConnectionState.RECONNECTING) return;
        state = next;
        events.state(next, closeCode);
    }
}

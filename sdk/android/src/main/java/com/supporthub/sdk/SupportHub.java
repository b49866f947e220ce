package com.supporthub.sdk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.RequestBody;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * In-app chat with a Support Hub over its v1 API (REST + WebSocket). Start with
 * {@link #configure(String, String)}. Methods that return a value block on the network: call them
 * off the main thread, or use the variants taking a {@link Callback}, which answer on the callback
 * executor.
 */
public final class SupportHub {
    public static final String SDK_VERSION = "1.0.0";

    private final HubApi api;
    private final Storage storage;
    private final Events events;
    private final Outbox outbox;
    private final Stream stream;
    private final ExecutorService io;
    private final ScheduledExecutorService sendLoop;
    private final ScheduledExecutorService streamLoop;

    /** Starts a configuration: the hub's base URL ({@code https://support.example.com}) and the app id. */
    public static Builder configure(String baseUrl, String appId) {
        return new Builder(baseUrl, appId);
    }

    public static final class Builder {
        private final HttpUrl baseUrl;
        private final String appId;
        private Storage storage = new Storage.Memory();
        private Executor callbackExecutor;
        private DeviceContext device;
        private OkHttpClient http;
        private long requestTimeoutMs = 15000;
        private long retryBaseDelayMs = 500;
        private long retryMaxDelayMs = 30000;
        private long reconnectInitialDelayMs = 500;
        private long reconnectMaxDelayMs = 30000;
        private long heartbeatMs = 25000;

        Builder(String baseUrl, String appId) {
            HttpUrl parsed = baseUrl == null ? null : HttpUrl.parse(baseUrl);
            if (parsed == null) throw new IllegalArgumentException("baseUrl must be an http(s) URL: " + baseUrl);
            if (appId == null || appId.isEmpty()) throw new IllegalArgumentException("appId is empty");
            this.baseUrl = parsed;
            this.appId = appId;
        }

        /** Where the session, stream cursor and send queue live (default: memory; apps pass SharedPreferences). */
        public Builder storage(Storage storage) {
            this.storage = storage;
            return this;
        }

        /** Where listener and callback calls run; on Android, {@code ContextCompat.getMainExecutor(context)}. */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = executor;
            return this;
        }

        /** Sent with every new session (v1 {@code Device}); agents see it beside the conversation. */
        public Builder device(DeviceContext device) {
            this.device = device;
            return this;
        }

        /** The app's own OkHttpClient (shares its pool and interceptors); timeouts are derived from it. */
        public Builder okHttpClient(OkHttpClient client) {
            this.http = client;
            return this;
        }

        public Builder requestTimeout(long millis) {
            this.requestTimeoutMs = millis;
            return this;
        }

        /** First and largest delay between send attempts of a queued message (doubling in between). */
        public Builder sendRetryDelays(long firstMillis, long maxMillis) {
            this.retryBaseDelayMs = firstMillis;
            this.retryMaxDelayMs = maxMillis;
            return this;
        }

        /** First and largest delay between stream reconnects (doubling, with jitter). */
        public Builder reconnectDelays(long firstMillis, long maxMillis) {
            this.reconnectInitialDelayMs = firstMillis;
            this.reconnectMaxDelayMs = maxMillis;
            return this;
        }

        /** With no frame for this long the SDK pings; after twice as long it reconnects (default 25 s, the hub's). */
        public Builder heartbeat(long millis) {
            this.heartbeatMs = millis;
            return this;
        }

        public SupportHub build() {
            if (callbackExecutor == null) throw new IllegalStateException("callbackExecutor is required (on Android: the main-thread executor)");
            return new SupportHub(this);
        }
    }

    private SupportHub(Builder b) {
        this.storage = b.storage;
        this.events = new Events(b.callbackExecutor);
        OkHttpClient base = b.http != null ? b.http : new OkHttpClient();
        OkHttpClient http = base.newBuilder()
                .callTimeout(b.requestTimeoutMs, TimeUnit.MILLISECONDS)
                .readTimeout(b.requestTimeoutMs, TimeUnit.MILLISECONDS)
                .connectTimeout(Math.min(b.requestTimeoutMs, 10000), TimeUnit.MILLISECONDS)
                .build();
        this.api = new HubApi(b.baseUrl, b.appId, http, b.storage, b.device, new HubApi.SessionListener() {
            public void onSessionChanged(Session session) {}
        });
        this.io = Executors.newCachedThreadPool(daemon("supporthub-io"));
        this.sendLoop = Executors.newSingleThreadScheduledExecutor(daemon("supporthub-send"));
        ScheduledThreadPoolExecutor loop = new ScheduledThreadPoolExecutor(1, daemon("supporthub-stream"));
        // After shutdown() the pending stop runs, but no scheduled reconnect or heartbeat may follow it.
        loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        loop.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        this.streamLoop = loop;
        this.outbox = new Outbox(api, b.storage, "supporthub." + b.appId + ".outbox", sendLoop, events, b.retryBaseDelayMs, b.retryMaxDelayMs);
        this.stream = new Stream(api, b.storage, streamLoop, events, new Runnable() {
            public void run() {
                // The stream is back, so the network is: what waits in the queue goes now.
                outbox.kick();
            }
        }, b.reconnectInitialDelayMs, b.reconnectMaxDelayMs, b.heartbeatMs);
    }

    private static ThreadFactory daemon(final String name) {
        return new ThreadFactory() {
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            }
        };
    }

    // ── Identity ──

    /**
     * Signs the user in: reuses the stored session when it is this identity's, otherwise opens one
     * ({@code POST /v1/sessions}). The identity is remembered to renew an expired session by itself.
     * Messages queued before (or in an earlier process) go out now.
     */
    public Session identify(Identity identity) throws SupportHubException {
        Session session = api.identify(identity);
        outbox.keepOnlyFrom(session.user.id);
        outbox.kick();
        return session;
    }

    public void identify(final Identity identity, Callback<Session> callback) {
        async(new Callable<Session>() {
            public Session call() throws SupportHubException {
                return identify(identity);
            }
        }, callback);
    }

    /** The current session, if any (never calls the hub). */
    public Session session() {
        return api.restoreSession();
    }

    /**
     * Signs out: revokes the session at the hub ({@code DELETE /v1/sessions/current}), closes the
     * stream and forgets the session, the cursor and unsent messages on this device.
     */
    public void logout() throws SupportHubException {
        stream.stop();
        outbox.clear();
        stream.forgetCursor();
        try {
            if (api.currentSession() != null) api.send("DELETE", "/v1/sessions/current", null, true, false).close();
        } catch (SupportHubException e) {
            // Already expired or revoked: logging out locally is all that is left to do.
            if (e.status != 401) throw e;
        } finally {
            api.forgetIdentity();
        }
    }

    // ── Conversations and messages ──

    public List<Conversation> conversations() throws SupportHubException {
        JSONArray array = api.call("GET", "/v1/conversations", null, true).optJSONArray("conversations");
        List<Conversation> list = new ArrayList<Conversation>();
        for (int i = 0; array != null && i < array.length(); i++) list.add(new Conversation(array.optJSONObject(i)));
        return Collections.unmodifiableList(list);
    }

    public void conversations(Callback<List<Conversation>> callback) {
        async(new Callable<List<Conversation>>() {
            public List<Conversation> call() throws SupportHubException {
                return conversations();
            }
        }, callback);
    }

    /** One conversation, with its own reply-time promise ({@link Conversation#firstReply}). */
    public Conversation conversation(String conversationId) throws SupportHubException {
        JSONObject answer = api.call("GET", "/v1/conversations/" + Paths.segment(conversationId), null, true);
        return new Conversation(answer.optJSONObject("conversation"));
    }

    /** A page of messages after {@code after} (null: from the first), oldest first. */
    public MessagePage messages(String conversationId, String after, int limit) throws SupportHubException {
        StringBuilder path = new StringBuilder("/v1/conversations/").append(Paths.segment(conversationId)).append("/messages?limit=").append(limit);
        if (after != null) path.append("&after=").append(Paths.segment(after));
        return new MessagePage(api.call("GET", path.toString(), null, true));
    }

    /**
     * Queues the first message of a new conversation and returns at once; {@link Listener#onSent}
     * reports the stored message and conversation. The queue is in {@link Storage}, so the message
     * is sent even if the process dies first (once the app runs and identifies again).
     */
    public PendingMessage startConversation(String subject, String text, List<String> attachmentIds) {
        return enqueue(null, subject, text, attachmentIds);
    }

    /** Queues a message in a conversation; see {@link #startConversation}. */
    public PendingMessage send(String conversationId, String text, List<String> attachmentIds) {
        if (conversationId == null) throw new IllegalArgumentException("conversationId is null; use startConversation");
        return enqueue(conversationId, null, text, attachmentIds);
    }

    /**
     * Queues a follow-up in a conversation that {@code starter} (from {@link #startConversation})
     * opens and the hub has not acknowledged yet, e.g. written offline: it goes out right after the
     * starter, into the conversation the hub created for it.
     */
    public PendingMessage send(PendingMessage starter, String text, List<String> attachmentIds) {
        if (starter.conversationId != null) return send(starter.conversationId, text, attachmentIds);
        if (!starter.startsConversation()) throw new IllegalArgumentException("not a message that starts a conversation");
        return enqueue(null, starter.clientId, null, text, attachmentIds);
    }

    private PendingMessage enqueue(String conversationId, String subject, String text, List<String> attachmentIds) {
        return enqueue(conversationId, null, subject, text, attachmentIds);
    }

    private PendingMessage enqueue(String conversationId, String afterClientId, String subject, String text, List<String> attachmentIds) {
        if (text == null || text.trim().isEmpty()) throw new IllegalArgumentException("text must not be blank (v1 NewMessage)");
        List<String> ids = attachmentIds == null ? Collections.<String>emptyList() : attachmentIds;
        if (ids.size() > 10) throw new IllegalArgumentException("at most 10 attachments per message (v1 NewMessage)");
        Session current = api.restoreSession();
        PendingMessage pending = new PendingMessage(UUID.randomUUID().toString(), current == null ? null : current.user.id, conversationId, afterClientId, subject, text, ids);
        if (afterClientId == null) outbox.add(pending);
        else if (!outbox.add(pending, afterClientId)) throw new IllegalArgumentException("that conversation was refused or is not this device's; send to a conversation id");
        return pending;
    }

    /** Messages queued and not yet acknowledged, oldest first. */
    public List<PendingMessage> pendingMessages() {
        return outbox.pending();
    }

    /** Try the queue now, e.g. when Android reports connectivity again. */
    public void retryNow() {
        outbox.kick();
        stream.reconnectNow();
    }

    /** Marks read up to {@code cursor} (null: the latest message); returns the new unread count. */
    public int markRead(String conversationId, String cursor) throws SupportHubException {
        JSONObject body = new JSONObject();
        try {
            if (cursor != null) body.put("cursor", cursor);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
        return api.call("POST", "/v1/conversations/" + Paths.segment(conversationId) + "/read", body, true).optInt("unread_count", 0);
    }

    // ── Attachments ──

    /**
     * Uploads a file to send with a message (PNG, JPEG, GIF, WebP, PDF or plain text, checked by its
     * bytes). Over the hub's size limit: {@link SupportHubException.AttachmentRejectedException}
     * with {@code isTooLarge()}; bytes not of {@code contentType}: the same with status 415.
     */
    public Attachment uploadAttachment(String filename, byte[] bytes, String contentType) throws SupportHubException {
        MediaType type = MediaType.parse(contentType);
        if (type == null) throw new IllegalArgumentException("not a media type: " + contentType);
        JSONObject answer = api.call("POST", "/v1/attachments?filename=" + Paths.segment(filename), true, RequestBody.create(type, bytes));
        return new Attachment(answer.optJSONObject("attachment"));
    }

    public void uploadAttachment(final String filename, final byte[] bytes, final String contentType, Callback<Attachment> callback) {
        async(new Callable<Attachment>() {
            public Attachment call() throws SupportHubException {
                return uploadAttachment(filename, bytes, contentType);
            }
        }, callback);
    }

    // ── Availability ──

    /**
     * Whether the team is answering and when to expect a reply, before the user writes; needs no
     * session. {@code timeZone} (IANA) words the next opening in the user's time; {@code topic} (a
     * triage category, API 1.1) asks for the team that handles it. Either may be null.
     */
    public Availability availability(String timeZone, String topic) throws SupportHubException {
        StringBuilder path = new StringBuilder("/v1/availability");
        char sep = '?';
        if (timeZone != null) {
            path.append(sep).append("time_zone=").append(Paths.segment(timeZone));
            sep = '&';
        }
        if (topic != null) path.append(sep).append("topic=").append(Paths.segment(topic));
        return new Availability(api.call("GET", path.toString(), null, false));
    }

    public void availability(final String timeZone, final String topic, Callback<Availability> callback) {
        async(new Callable<Availability>() {
            public Availability call() throws SupportHubException {
                return availability(timeZone, topic);
            }
        }, callback);
    }

    /** The user was shown {@link Availability#incident} ({@code POST /v1/incident-views}); once per incident is enough. */
    public void reportIncidentView(String incidentId) throws SupportHubException {
        JSONObject body = new JSONObject();
        try {
            body.put("incident_id", incidentId);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
        api.call("POST", "/v1/incident-views", body, true);
    }

    // ── Push ──

    /**
     * Registers this device's push token ({@code PUT /v1/push-token}, API 1.2) for the signed-in
     * user: the hub's {@code chat.reply.unread} push webhook then lists it in {@code push_tokens},
     * and the app's backend sends the FCM notification (README "Android"). Call it after
     * {@link #identify} and whenever FCM issues a new token; {@link #logout()} drops it at the hub.
     */
    public void registerPushToken(String token) throws SupportHubException {
        if (token == null || token.trim().isEmpty()) throw new IllegalArgumentException("token is empty");
        JSONObject body = new JSONObject();
        try {
            body.put("token", token);
            body.put("platform", DeviceContext.PLATFORM);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
        api.call("PUT", "/v1/push-token", body, true);
    }

    public void registerPushToken(final String token, Callback<Void> callback) {
        async(new Callable<Void>() {
            public Void call() throws SupportHubException {
                registerPushToken(token);
                return null;
            }
        }, callback);
    }

    // ── Live stream ──

    /** Where events go (on the callback executor). Set it before {@link #connect()}. */
    public void setListener(Listener listener) {
        events.setListener(listener);
    }

    /**
     * Opens the live stream: messages after the stored cursor first (what arrived while the app was
     * away), then live ones; reconnects by itself until {@link #disconnect()}.
     */
    public void connect() {
        stream.start();
    }

    public void disconnect() {
        stream.stop();
    }

    /** Stops the stream and the SDK's threads; the queue stays in storage for the next start. */
    public void shutdown() {
        stream.stop();
        streamLoop.shutdown();
        sendLoop.shutdownNow();
        io.shutdownNow();
    }

    private <T> void async(final Callable<T> task, final Callback<T> callback) {
        io.execute(new Runnable() {
            public void run() {
                try {
                    events.success(callback, task.call());
                } catch (SupportHubException e) {
                    events.failure(callback, e);
                } catch (Exception e) {
                    events.failure(callback, new SupportHubException(0, "client_error", String.valueOf(e.getMessage()), -1));
                }
            }
        });
    }
}

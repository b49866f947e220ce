package com.supporthub.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK driven the way an app drives it, against a real hub process. */
class SupportHubTest {
    static TestHub hub;
    private final List<SupportHub> clients = new ArrayList<SupportHub>();
    private final List<Recorder> recorders = new ArrayList<Recorder>();
    private final List<CutProxy> proxies = new ArrayList<CutProxy>();

    @BeforeAll
    static void startHub() throws Exception {
        hub = TestHub.shared();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (SupportHub client : clients) client.shutdown();
        for (Recorder recorder : recorders) recorder.shutdown();
        for (CutProxy proxy : proxies) proxy.close();
        for (Recorder recorder : recorders) assertEquals(Collections.emptyList(), recorder.wrongThread, "every callback runs on the app's executor");
    }

    private Recorder recorder() {
        Recorder recorder = new Recorder();
        recorders.add(recorder);
        return recorder;
    }

    private CutProxy proxy() throws Exception {
        CutProxy proxy = new CutProxy(hub.port);
        proxies.add(proxy);
        return proxy;
    }

    private SupportHub client(String url, Storage storage, Recorder recorder) {
        SupportHub client = SupportHub.configure(url, TestHub.APP_ID)
                .storage(storage)
                .callbackExecutor(recorder.executor())
                .device(new DeviceContext("Android 14", "4.2.0", "Pixel 8", "wifi", "de-DE", "Europe/Berlin"))
                .sendRetryDelays(200, 1000)
                .reconnectDelays(200, 1000)
                .requestTimeout(5000)
                .build();
        client.setListener(recorder);
        clients.add(client);
        return client;
    }

    private static String newUser() {
        return "user-" + UUID.randomUUID();
    }

    /** What the hub stored in a conversation, read by another session of the same user. */
    private static JSONArray storedMessages(Session session, String conversationId) throws Exception {
        return hub.v1("GET", "/v1/conversations/" + conversationId + "/messages?limit=200", session.token, null).getJSONArray("messages");
    }

    private static int countWithClientId(JSONArray messages, String clientId) {
        int count = 0;
        for (int i = 0; i < messages.length(); i++) if (clientId.equals(messages.optJSONObject(i).optString("client_id"))) count++;
        return count;
    }

    @Test
    void identifiesWithTheSignedIdentityTokenAndItsEmailIsVerified() throws Exception {
        Recorder app = recorder();
        String userId = newUser();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        Answer<Session> answer = new Answer<Session>();
        client.identify(Identity.token(Proofs.identityToken(userId, "ada@example.com", "Ada")), answer);
        Session session = answer.get();
        assertEquals(userId, session.user.id);
        assertEquals("identified", session.user.kind);
        assertEquals("ada@example.com", session.user.email);
        assertTrue(session.user.verified, "the identity token signs the email");
    }

    @Test
    void identifiesWithUserHashWhichProvesTheIdOnlyAndReusesTheStoredSession() throws Exception {
        Recorder app = recorder();
        String userId = newUser();
        Storage storage = new Storage.Memory();
        Session session = client(hub.url(), storage, app).identify(Identity.userHash(userId, "bob@example.com", "Bob", Proofs.userHash(userId)));
        assertEquals(userId, session.user.id);
        assertFalse(session.user.verified, "user_hash proves the id, not the email");

        // The next app start with the same storage reuses the session instead of signing in again.
        Session again = client(hub.url(), storage, app).identify(Identity.userHash(userId, "bob@example.com", "Bob", Proofs.userHash(userId)));
        assertEquals(session.token, again.token);

        SupportHubException wrongHash = assertThrows(SupportHubException.class,
                () -> client(hub.url(), new Storage.Memory(), app).identify(Identity.userHash(userId, null, null, Proofs.userHash("someone-else"))));
        assertEquals(401, wrongHash.status);
        assertEquals("identity_not_verified", wrongHash.code);
    }

    @Test
    void anAnonymousVisitorChatsAndSeesTheConversationsOwnPromise() throws Exception {
        Recorder app = recorder();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        Session session = client.identify(Identity.anonymous());
        assertTrue(session.user.isAnonymous());
        assertFalse(session.user.verified);

        PendingMessage pending = client.startConversation("Login", "I cannot log in", null);
        app.await("the first message acknowledged", 30000, r -> r.sent.size() == 1);
        assertEquals(pending.clientId, app.sent.get(0).clientId);
        String conversationId = app.sent.get(0).conversationId;

        List<Conversation> conversations = client.conversations();
        assertEquals(1, conversations.size());
        assertEquals(conversationId, conversations.get(0).id);
        Conversation conversation = client.conversation(conversationId);
        assertNotNull(conversation.firstReply, "hubs since first_reply always send it");
        assertNull(conversation.firstReply.answeredAt);
        assertTrue(client.pendingMessages().isEmpty());
    }

    @Test
    void aSendWhoseAnswerIsLostIsRetriedWithTheSameClientIdAndStoredOnce() throws Exception {
        Recorder app = recorder();
        CutProxy network = proxy();
        SupportHub client = client(network.url(), new Storage.Memory(), app);
        Session session = client.identify(Identity.token(Proofs.identityToken(newUser(), null, null)));
        client.startConversation(null, "first", null);
        app.await("the conversation", 30000, r -> r.sent.size() == 1);
        String conversationId = app.sent.get(0).conversationId;

        // The network dies after the hub received the message: the hub stores it, the phone never hears.
        network.set(CutProxy.Mode.LOSE_ANSWERS);
        PendingMessage pending = client.send(conversationId, "sent while the network died", null);
        long deadline = System.currentTimeMillis() + 30000;
        while (network.lostAnswers.get() == 0 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        assertTrue(network.lostAnswers.get() > 0, "an answer was lost");
        assertEquals(1, countWithClientId(storedMessages(session, conversationId), pending.clientId), "the hub stored it before the answer was lost");
        assertEquals(1, client.pendingMessages().size(), "still queued: not acknowledged");

        network.set(CutProxy.Mode.PASS);
        app.await("the retry acknowledged", 30000, r -> r.sent.size() == 2);
        assertEquals(pending.clientId, app.sent.get(1).clientId);
        assertEquals(1, countWithClientId(storedMessages(session, conversationId), pending.clientId), "exactly one message stored");
        assertTrue(client.pendingMessages().isEmpty());
    }

    @Test
    void messagesQueuedOfflineSurviveAProcessRestartAndAreSentOnce(@TempDir File dir) throws Exception {
        String userId = newUser();
        String token = Proofs.identityToken(userId, null, null);
        CutProxy network = proxy();
        Recorder before = recorder();
        SupportHub first = client(network.url(), new Storage.Files(dir), before);
        first.identify(Identity.token(token));

        network.set(CutProxy.Mode.REFUSE);
        PendingMessage queued = first.startConversation(null, "written in a tunnel", null);
        PendingMessage followUp = first.send(queued, "and a second thought", null);
        Thread.sleep(600); // a few failed attempts
        assertEquals(2, first.pendingMessages().size());
        first.shutdown(); // the process dies with the message unsent

        network.set(CutProxy.Mode.PASS);
        Recorder after = recorder();
        SupportHub second = client(network.url(), new Storage.Files(dir), after);
        assertEquals(2, second.pendingMessages().size(), "the queue was read back from storage");
        Session session = second.identify(Identity.token(token));
        after.await("the queued messages acknowledged", 30000, r -> r.sent.size() == 2);
        assertEquals(queued.clientId, after.sent.get(0).clientId);
        assertEquals(followUp.clientId, after.sent.get(1).clientId);
        assertEquals(after.sent.get(0).conversationId, after.sent.get(1).conversationId, "the follow-up went into the conversation the first one opened");
        JSONArray stored = storedMessages(session, after.sent.get(0).conversationId);
        assertEquals(1, countWithClientId(stored, queued.clientId));
        assertEquals(1, countWithClientId(stored, followUp.clientId));
        assertEquals("written in a tunnel", stored.optJSONObject(0).optString("text"));
        assertEquals("and a second thought", stored.optJSONObject(1).optString("text"), "in the order written");
        assertEquals(1, second.conversations().size());
        assertTrue(second.pendingMessages().isEmpty());
    }

    @Test
    void whatOnePersonQueuedIsNeverSentAsAnotherWhoSignsInOnTheDevice(@TempDir File dir) throws Exception {
        CutProxy network = proxy();
        Recorder first = recorder();
        SupportHub before = client(network.url(), new Storage.Files(dir), first);
        before.identify(Identity.token(Proofs.identityToken(newUser(), null, null)));
        network.set(CutProxy.Mode.REFUSE);
        before.startConversation(null, "private words of the first user", null);
        before.shutdown();

        network.set(CutProxy.Mode.PASS);
        Recorder second = recorder();
        SupportHub after = client(network.url(), new Storage.Files(dir), second);
        assertEquals(1, after.pendingMessages().size());
        after.identify(Identity.token(Proofs.identityToken(newUser(), null, null)));
        assertTrue(after.pendingMessages().isEmpty(), "dropped, not sent as the second user");
        Thread.sleep(500);
        assertEquals(0, after.conversations().size());
        assertTrue(second.sent.isEmpty());
    }

    @Test
    void agentRepliesArriveLiveAndAfterAHubRestartTheStreamCatchesUpInOrder(@TempDir File dir) throws Exception {
        String token = Proofs.identityToken(newUser(), "cat@example.com", "Cat");
        CutProxy network = proxy();
        Recorder app = recorder();
        SupportHub client = client(network.url(), new Storage.Files(dir), app);
        client.identify(Identity.token(token));
        client.startConversation(null, "hello, anyone there?", null);
        app.await("the conversation", 30000, r -> r.sent.size() == 1);
        String conversationId = app.sent.get(0).conversationId;

        client.connect();
        app.await("the stream open", 30000, r -> r.states.contains(ConnectionState.OPEN));
        app.await("the replayed own message", 30000, r -> r.texts().contains("hello, anyone there?"));
        hub.agentReply(conversationId, "Hi, Ada here");
        app.await("the agent's reply, live", 60000, r -> r.texts().contains("Hi, Ada here"));
        Message live = app.messages.get(app.messages.size() - 1);
        assertEquals("agent", live.authorKind);
        assertTrue(live.isFromTeam());

        // The hub dies; while it is down and after it is back, the phone cannot reach it.
        network.set(CutProxy.Mode.REFUSE);
        hub.kill();
        app.await("reconnecting", 30000, r -> r.states.get(r.states.size() - 1) == ConnectionState.RECONNECTING);
        hub.start();
        hub.agentReply(conversationId, "reply one while you were away");
        hub.agentReply(conversationId, "reply two while you were away");
        int before;
        synchronized (app) {
            before = app.messages.size();
        }
        network.set(CutProxy.Mode.PASS);
        app.await("the catch-up", 60000, r -> r.texts().contains("reply two while you were away"));
        Thread.sleep(500); // anything duplicated would arrive now
        synchronized (app) {
            assertEquals(Arrays.asList("reply one while you were away", "reply two while you were away"), app.texts().subList(before, app.messages.size()), "in order, each once");
        }
        assertEquals(ConnectionState.OPEN, app.states.get(app.states.size() - 1));

        // The app's process restarts: the stored cursor resumes after the last message it had.
        client.shutdown();
        hub.agentReply(conversationId, "reply three, app closed");
        Recorder restarted = recorder();
        SupportHub again = client(network.url(), new Storage.Files(dir), restarted);
        again.identify(Identity.token(token));
        again.connect();
        restarted.await("catch-up from the stored cursor", 60000, r -> r.states.contains(ConnectionState.OPEN) && r.texts().contains("reply three, app closed"));
        assertEquals(Collections.singletonList("reply three, app closed"), restarted.texts(), "only what came after the stored cursor");
    }

    @Test
    void aRevokedSessionClosesTheStreamWith4401AndTheSdkRenewsItAndResumes() throws Exception {
        Recorder app = recorder();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        client.identify(Identity.token(Proofs.identityToken(newUser(), null, null)));
        client.startConversation(null, "still there?", null);
        app.await("the conversation", 30000, r -> r.sent.size() == 1);
        String conversationId = app.sent.get(0).conversationId;
        client.connect();
        app.await("the stream open", 30000, r -> r.states.contains(ConnectionState.OPEN));

        // Revoked elsewhere (the hub closes the session's sockets with 4401): a new session, same user.
        Session revoked = client.session();
        hub.v1("DELETE", "/v1/sessions/current", revoked.token, null);
        app.await("reopened after 4401", 30000, r -> r.states.lastIndexOf(ConnectionState.OPEN) > r.states.indexOf(ConnectionState.RECONNECTING) && r.states.contains(ConnectionState.RECONNECTING));
        assertNotEquals(revoked.token, client.session().token);
        assertEquals(revoked.user.id, client.session().user.id);
        hub.agentReply(conversationId, "after the renewal");
        app.await("the reply on the renewed stream", 60000, r -> r.texts().contains("after the renewal"));
        assertEquals(1, Collections.frequency(app.texts(), "still there?"), "the replay after renewal repeats nothing");
    }

    @Test
    void aStoredCursorTheHubDidNotIssueIsDroppedAfter4400AndTheStreamOpensWithoutIt() throws Exception {
        Recorder app = recorder();
        Storage storage = new Storage.Memory();
        SupportHub client = client(hub.url(), storage, app);
        Session session = client.identify(Identity.anonymous());
        client.startConversation(null, "before the bad cursor", null);
        app.await("sent", 30000, r -> r.sent.size() == 1);
        storage.set("supporthub." + TestHub.APP_ID + ".cursor", new JSONObject().put("user", session.user.id).put("cursor", "not-a-cursor-of-this-hub").toString());
        client.connect();
        app.await("open after dropping the cursor", 30000, r -> r.states.contains(ConnectionState.OPEN) && r.texts().contains("before the bad cursor"));

        assertEquals(1, Collections.frequency(app.texts(), "before the bad cursor"));
    }

    @Test
    void connectingBeforeIdentifyingStopsAsUnauthorizedInsteadOfRetryingForever() throws Exception {
        Recorder app = recorder();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        client.connect();
        app.await("stopped", 30000, r -> r.states.contains(ConnectionState.CLOSED_UNAUTHORIZED));
        Thread.sleep(500);
        assertEquals(Arrays.asList(ConnectionState.CONNECTING, ConnectionState.CLOSED_UNAUTHORIZED), app.states);
    }

    @Test
    void heartbeatsKeepAQuietStreamOpenAndASilentConnectionIsReplaced() throws Exception {
        Recorder app = recorder();
        CutProxy network = proxy();
        SupportHub client = SupportHub.configure(network.url(), TestHub.APP_ID).storage(new Storage.Memory()).callbackExecutor(app.executor())
                .heartbeat(1000).reconnectDelays(100, 300).build();
        clients.add(client);
        client.setListener(app);
        client.identify(Identity.anonymous());
        client.connect();
        app.await("the stream open", 30000, r -> r.states.contains(ConnectionState.OPEN));
        // Quiet for many heartbeat periods: the SDK's pings are answered, so it keeps the connection.
        Thread.sleep(4000); // four periods: the SDK pinged, the hub answered each time
        assertEquals(Collections.singletonList(ConnectionState.OPEN), app.states.subList(app.states.indexOf(ConnectionState.OPEN), app.states.size()));

        // The connection goes silent without closing: after two periods the SDK gives up on it.
        network.freeze(true);
        app.await("the silent connection dropped", 10000, r -> r.states.get(r.states.size() - 1) == ConnectionState.RECONNECTING);
        network.freeze(false);
        app.await("open again", 30000, r -> r.states.get(r.states.size() - 1) == ConnectionState.OPEN);
    }

    @Test
    void anAttachmentOverTheHubsLimitIsATypedErrorAndOneWithinItIsSent() throws Exception {
        Recorder app = recorder();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        client.identify(Identity.anonymous());

        byte[] tooLarge = pdf(TestHub.ATTACHMENT_MAX_BYTES + 1024);
        SupportHubException.AttachmentRejectedException error = assertThrows(SupportHubException.AttachmentRejectedException.class,
                () -> client.uploadAttachment("big.pdf", tooLarge, "application/pdf"));
        assertTrue(error.isTooLarge());
        assertEquals(413, error.status);
        assertEquals("payload_too_large", error.code);

        SupportHubException notPdf = assertThrows(SupportHubException.AttachmentRejectedException.class,
                () -> client.uploadAttachment("fake.pdf", "just text".getBytes("UTF-8"), "application/pdf"));
        assertEquals(415, notPdf.status);

        Attachment attachment = client.uploadAttachment("receipt.pdf", pdf(2048), "application/pdf");
        assertEquals("application/pdf", attachment.contentType);
        client.startConversation(null, "my receipt", Collections.singletonList(attachment.id));
        app.await("the message with its attachment", 30000, r -> r.sent.size() == 1);
        assertEquals(attachment.id, app.sent.get(0).attachments.get(0).id);
    }

    private static byte[] pdf(int size) throws Exception {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) ' ');
        byte[] head = "%PDF-1.4\n".getBytes("US-ASCII");
        System.arraycopy(head, 0, bytes, 0, head.length);
        byte[] tail = "\n%%EOF\n".getBytes("US-ASCII");
        System.arraycopy(tail, 0, bytes, size - tail.length, tail.length);
        return bytes;
    }

    @Test
    void availabilityNeedsNoSessionAndAnswersForTheTopicAsync() throws Exception {
        Recorder app = recorder();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        final List<Object> results = new ArrayList<Object>();
        client.availability("Europe/Berlin", "payment_failure", new Callback<Availability>() {
            public void onSuccess(Availability result) {
                if (!Thread.currentThread().getName().equals("app-main")) app.wrongThread.add("availability callback");
                synchronized (results) {
                    results.add(result);
                    results.notifyAll();
                }
            }

            public void onError(SupportHubException error) {
                synchronized (results) {
                    results.add(error);
                    results.notifyAll();
                }
            }
        });
        synchronized (results) {
            long deadline = System.currentTimeMillis() + 30000;
            while (results.isEmpty() && System.currentTimeMillis() < deadline) results.wait(200);
        }
        assertEquals(1, results.size());
        Availability availability = (Availability) results.get(0);
        assertEquals("open", availability.status, "staffed around the clock in this test");
        assertNotNull(availability.expectedReplyText);
        assertEquals("Europe/Berlin", availability.timeZone);
        assertNull(availability.incident, "no incident was published");

        client.identify(Identity.anonymous());
        SupportHubException gone = assertThrows(SupportHubException.class, () -> client.reportIncidentView(UUID.randomUUID().toString()));
        assertEquals(404, gone.status);
        assertEquals("incident_not_shown", gone.code);
    }

    @Test
    void theRegisteredPushTokenReachesThePushWebhookAndLogoutDropsIt() throws Exception {
        Recorder app = recorder();
        String userId = newUser();
        SupportHub client = client(hub.url(), new Storage.Memory(), app);
        client.identify(Identity.token(Proofs.identityToken(userId, null, null)));
        String fcmToken = "fcm-" + UUID.randomUUID();
        Answer<Void> registered = new Answer<Void>();
        client.registerPushToken(fcmToken, registered);
        registered.get();
        client.startConversation(null, "please push me", null);
        app.await("the conversation", 30000, r -> r.sent.size() == 1);
        String conversationId = app.sent.get(0).conversationId;

        hub.agentReply(conversationId, "Answer while the app sleeps");
        JSONObject push = awaitPush(conversationId, 1);
        assertTrue(push.getString("signature").startsWith("t="), "signed X-Hub-Signature");
        JSONObject event = push.getJSONObject("body");
        assertEquals("chat.reply.unread", event.getString("type"));
        assertEquals(userId, event.getJSONObject("user").getString("id"));
        JSONArray tokens = event.getJSONArray("push_tokens");
        assertEquals(1, tokens.length());
        assertEquals(fcmToken, tokens.getJSONObject(0).getString("token"));
        assertEquals("android", tokens.getJSONObject(0).getString("platform"));

        // Signed out on this phone: the next push names no device of it.
        Session old = client.session();
        client.logout();
        assertNull(client.session());
        Session other = client.identify(Identity.token(Proofs.identityToken(userId, null, null)));
        assertNotEquals(old.token, other.token);
        hub.agentReply(conversationId, "Second answer");
        JSONObject second = awaitPush(conversationId, 2);
        assertEquals(0, second.getJSONObject("body").getJSONArray("push_tokens").length());
    }

    private static JSONObject awaitPush(String conversationId, int nth) throws Exception {
        long deadline = System.currentTimeMillis() + 60000;
        while (System.currentTimeMillis() < deadline) {
            JSONArray pushes = hub.pushes();
            int seen = 0;
            for (int i = 0; i < pushes.length(); i++) {
                JSONObject push = pushes.getJSONObject(i);
                if (conversationId.equals(push.getJSONObject("body").optString("conversation_id")) && ++seen == nth) return push;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("push " + nth + " for " + conversationId + " never arrived; hub log:\n" + hub.hubLog());
    }

    @Test
    void theDeviceContextIsTheV1DeviceObject() throws Exception {
        JSONObject contract = new JSONObject(new String(java.nio.file.Files.readAllBytes(new File(hub.root, "src/channels/chat/openapi.json").toPath()), "UTF-8"));
        JSONObject properties = contract.getJSONObject("components").getJSONObject("schemas").getJSONObject("Device").getJSONObject("properties");
        JSONObject device = DeviceContext.of("Android 14", "4.2.0", "Pixel 8", "cellular").toJson();
        for (java.util.Iterator<String> keys = device.keys(); keys.hasNext(); ) {
            String key = keys.next();
            assertTrue(properties.has(key), key + " is a v1 Device field");
        }
        assertEquals(properties.length(), device.length(), "every v1 Device field is sent");
        assertEquals("android", device.getString("platform"));
        assertEquals(SupportHub.SDK_VERSION, device.getString("sdkVersion"));
        assertNotEquals(JSONObject.NULL, device.get("timeZone"));
    }
}

package com.supporthub.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.json.JSONArray;
import org.json.JSONObject;
import org.json.JSONTokener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recorded v1 client sessions the TypeScript client replays (test/channels/chat/transcripts),
 * replayed against a real hub and read back by this SDK: each step's status and recorded shape
 * (the same markers and {{steps[N]…}} placeholders as transcripts.test.ts), then the SDK's own
 * readers on the answer — its model classes for a 2xx body, its error mapping (status, stable
 * code, typed subclass) for the rest — must see the same values the JSON carries.
 */
class TranscriptReplayTest {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*steps\\[(\\d+)\\]((?:\\.[A-Za-z0-9_-]+|\\[\\d+\\])+)\\s*\\}\\}");
    private static final Pattern PATH_PART = Pattern.compile("\\.([A-Za-z0-9_-]+)|\\[(\\d+)\\]");
    private static final Pattern UUID = Pattern.compile("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", Pattern.CASE_INSENSITIVE);
    private static final Pattern DATE_TIME = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$");
    static TestHub hub;
    private final OkHttpClient http = new OkHttpClient();

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.shared();
    }

    @Test
    void everyRecordedTranscriptReplaysAndTheSdkReadsWhatItGetsBack() throws Exception {
        File dir = new File(hub.root, "test/channels/chat/transcripts");
        File[] files = dir.listFiles((d, name) -> name.endsWith(".json"));
        assertNotNull(files, "transcripts in " + dir);
        Arrays.sort(files);
        assertTrue(files.length >= 3, "found the recorded transcripts");
        int steps = 0;
        for (File file : files) steps += replay(new JSONObject(new String(java.nio.file.Files.readAllBytes(file.toPath()), StandardCharsets.UTF_8)));
        assertTrue(steps >= 30, "replayed " + steps + " steps");
    }

    private int replay(JSONObject transcript) throws Exception {
        JSONArray steps = transcript.getJSONArray("steps");
        List<JSONObject> replayed = new ArrayList<JSONObject>();
        for (int i = 0; i < steps.length(); i++) {
            JSONObject step = steps.getJSONObject(i);
            JSONObject req = step.getJSONObject("request");
            String where = transcript.getString("name") + " step " + i + " (" + step.optString("note", req.getString("method") + " " + req.getString("path")) + ")";
            String path = (String) fill(req.getString("path"), replayed, i - 1, true);
            JSONObject headers = (JSONObject) fill(req.optJSONObject("headers") == null ? new JSONObject() : req.getJSONObject("headers"), replayed, i - 1, false);
            Object body = req.has("body") ? fill(req.get("body"), replayed, i - 1, false) : null;

            Request.Builder request = new Request.Builder().url(hub.url() + path);
            String contentType = "application/json";
            for (Iterator<String> names = headers.keys(); names.hasNext(); ) {
                String name = names.next();
                request.header(name, headers.getString(name));
                if (name.equalsIgnoreCase("content-type")) contentType = headers.getString(name);
            }
            RequestBody requestBody = body == null ? null : RequestBody.create(MediaType.parse(contentType), body.toString());
            String method = req.getString("method");
            if (requestBody == null && (method.equals("POST") || method.equals("PUT"))) requestBody = RequestBody.create(null, new byte[0]);
            request.method(method, requestBody);

            JSONObject expected = step.getJSONObject("response");
            try (Response response = http.newCall(request.build()).execute()) {
                String text = response.peekBody(16 * 1024 * 1024).string();
                assertEquals(expected.getInt("status"), response.code(), where + ": " + text);
                Object actual = text.isEmpty() ? JSONObject.NULL : parseOrText(text, response.header("Content-Type"));
                replayed.add(new JSONObject().put("status", response.code()).put("body", actual));
                if (expected.has("body")) {
                    List<String> problems = new ArrayList<String>();
                    shape(fill(expected.get("body"), replayed, i, false), actual, "body", problems);
                    assertEquals(new ArrayList<String>(), problems, where);
                }
                if (expected.has("text")) assertEquals(expected.getString("text"), text, where);
                readAsTheSdkDoes(where, response, actual);
            }
        }
        return steps.length();
    }

    /** The SDK's readers see what the wire carries: nothing lost in its models or its error mapping. */
    private static void readAsTheSdkDoes(String where, Response response, Object body) throws Exception {
        if (!response.isSuccessful()) {
            SupportHubException error = HubApi.toError(response);
            assertEquals(response.code(), error.status, where);
            JSONObject json = body instanceof JSONObject ? ((JSONObject) body).optJSONObject("error") : null;
            if (json != null) assertEquals(json.getString("code"), error.code, where);
            if (response.code() == 401) assertTrue(error instanceof SupportHubException.UnauthorizedException, where);
            if (response.code() == 413 || response.code() == 415) assertTrue(error instanceof SupportHubException.AttachmentRejectedException, where);
            return;
        }
        if (!(body instanceof JSONObject)) return;
        JSONObject json = (JSONObject) body;
        if (json.has("session_token")) {
            Session session = new Session(json);
            assertEquals(json.getJSONObject("user").getString("id"), session.user.id, where);
            assertEquals(json.getJSONObject("user").getBoolean("verified"), session.user.verified, where);
            assertTrue(session.isFresh(System.currentTimeMillis()), where + ": expires_at read as a time in the future");
        }
        if (json.has("conversation")) {
            Conversation conversation = new Conversation(json.getJSONObject("conversation"));
            assertEquals(json.getJSONObject("conversation").getString("id"), conversation.id, where);
            assertEquals(json.getJSONObject("conversation").getInt("unread_count"), conversation.unreadCount, where);
        }
        if (json.has("message")) checkMessage(where, json.getJSONObject("message"));
        if (json.has("messages")) {
            MessagePage page = new MessagePage(json);
            assertEquals(json.getJSONArray("messages").length(), page.messages.size(), where);
            assertEquals(json.getBoolean("has_more"), page.hasMore, where);
            for (int i = 0; i < json.getJSONArray("messages").length(); i++) checkMessage(where, json.getJSONArray("messages").getJSONObject(i));
        }
        if (json.has("attachment")) {
            Attachment attachment = new Attachment(json.getJSONObject("attachment"));
            assertEquals(json.getJSONObject("attachment").getLong("size"), attachment.size, where);
            assertEquals(json.getJSONObject("attachment").getString("content_type"), attachment.contentType, where);
        }
        if (json.has("expected_reply")) {
            Availability availability = new Availability(json);
            assertEquals(json.getString("status"), availability.status, where);
            assertEquals(json.getJSONObject("expected_reply").getString("text"), availability.expectedReplyText, where);
        }
    }

    private static void checkMessage(String where, JSONObject json) {
        Message message = new Message(json);
        assertEquals(json.optString("id"), message.id, where);
        assertEquals(json.optString("cursor"), message.cursor, where);
        assertEquals(json.isNull("client_id") ? null : json.optString("client_id"), message.clientId, where);
        assertEquals(json.optString("text"), message.text, where);
        assertEquals(json.optJSONObject("author").optString("kind"), message.authorKind, where);
        assertEquals(json.optJSONArray("attachments").length(), message.attachments.size(), where);
    }

    private static Object parseOrText(String text, String contentType) throws Exception {
        if (contentType == null || !contentType.startsWith("application/json")) return text;
        return new JSONTokener(text).nextValue();
    }

    private static Object lookUp(List<JSONObject> replayed, int step, String path, int latest) throws Exception {
        if (step > latest) throw new AssertionError("{{steps[" + step + "]" + path + "}} refers to a step not replayed yet");
        Object value = replayed.get(step);
        Matcher part = PATH_PART.matcher(path);
        while (part.find()) {
            if (part.group(1) != null) value = value instanceof JSONObject ? ((JSONObject) value).opt(part.group(1)) : null;
            else value = value instanceof JSONArray ? ((JSONArray) value).opt(Integer.parseInt(part.group(2))) : null;
        }
        if (value == null) throw new AssertionError("{{steps[" + step + "]" + path + "}} is not in step " + step + "'s response");
        return value;
    }

    /** Placeholders filled; a string that is only a placeholder takes the value itself (any JSON type). */
    private static Object fill(Object template, List<JSONObject> replayed, int latest, boolean encode) throws Exception {
        if (template instanceof String) {
            String text = (String) template;
            Matcher m = PLACEHOLDER.matcher(text);
            if (!encode && text.matches("^\\{\\{[^}]*\\}\\}$") && m.find()) return lookUp(replayed, Integer.parseInt(m.group(1)), m.group(2), latest);
            m.reset();
            StringBuffer out = new StringBuffer();
            while (m.find()) {
                String value = String.valueOf(lookUp(replayed, Integer.parseInt(m.group(1)), m.group(2), latest));
                m.appendReplacement(out, Matcher.quoteReplacement(encode ? Paths.segment(value) : value));
            }
            m.appendTail(out);
            return out.toString();
        }
        if (template instanceof JSONArray) {
            JSONArray array = (JSONArray) template;
            JSONArray filled = new JSONArray();
            for (int i = 0; i < array.length(); i++) filled.put(fill(array.get(i), replayed, latest, encode));
            return filled;
        }
        if (template instanceof JSONObject) {
            JSONObject object = (JSONObject) template;
            JSONObject filled = new JSONObject();
            for (Iterator<String> keys = object.keys(); keys.hasNext(); ) {
                String key = keys.next();
                filled.put(key, fill(object.get(key), replayed, latest, encode));
            }
            return filled;
        }
        return template;
    }

    /** Where {@code actual} differs from the recorded shape: objects may have more keys, arrays match in length. */
    private static void shape(Object expected, Object actual, String at, List<String> problems) throws Exception {
        if (expected instanceof String && ((String) expected).matches("<(any|string|uuid|date-time)>")) {
            String marker = (String) expected;
            boolean ok = marker.equals("<any>") ? actual != null
                    : marker.equals("<string>") ? actual instanceof String
                    : marker.equals("<uuid>") ? actual instanceof String && UUID.matcher((String) actual).matches()
                    : actual instanceof String && DATE_TIME.matcher((String) actual).matches();
            if (!ok) problems.add(at + ": expected " + marker + ", got " + actual);
            return;
        }
        if (expected instanceof JSONArray) {
            JSONArray e = (JSONArray) expected;
            if (!(actual instanceof JSONArray) || ((JSONArray) actual).length() != e.length()) {
                problems.add(at + ": expected " + e.length() + " items, got " + actual);
                return;
            }
            for (int i = 0; i < e.length(); i++) shape(e.get(i), ((JSONArray) actual).get(i), at + "[" + i + "]", problems);
            return;
        }
        if (expected instanceof JSONObject) {
            JSONObject e = (JSONObject) expected;
            if (!(actual instanceof JSONObject)) {
                problems.add(at + ": expected an object, got " + actual);
                return;
            }
            for (Iterator<String> keys = e.keys(); keys.hasNext(); ) {
                String key = keys.next();
                if (!((JSONObject) actual).has(key)) problems.add(at + "." + key + ": missing");
                else shape(e.get(key), ((JSONObject) actual).get(key), at + "." + key, problems);
            }
            return;
        }
        boolean same = expected == null ? actual == null
                : expected instanceof Number && actual instanceof Number ? ((Number) expected).doubleValue() == ((Number) actual).doubleValue()
                : expected.equals(actual);
        if (!same) problems.add(at + ": expected " + expected + ", got " + actual);
    }
}

package com.supporthub.sdk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** A message in the send queue: sent with its {@link #clientId} until the hub acknowledges it. */
public final class PendingMessage {
    /** Chosen once, before the first attempt; every retry sends the same one (v1: "makes retries safe"). */
    public final String clientId;
    /** The conversation it goes to, or null when it starts a new conversation. */
    public final String conversationId;
    public final String subject;
    public final String text;
    public final List<String> attachmentIds;
    /** For a follow-up written before its conversation was acknowledged: the starter's client_id. */
    final String afterClientId;
    /** Whose message it is (the session's user when queued; null when queued before any session). */
    final String userId;

    PendingMessage(String clientId, String userId, String conversationId, String subject, String text, List<String> attachmentIds) {
        this(clientId, userId, conversationId, null, subject, text, attachmentIds);
    }

    PendingMessage(String clientId, String userId, String conversationId, String afterClientId, String subject, String text, List<String> attachmentIds) {
        this.afterClientId = afterClientId;
        this.clientId = clientId;
        this.userId = userId;
        this.conversationId = conversationId;
        this.subject = subject;
        this.text = text;
        this.attachmentIds = Collections.unmodifiableList(new ArrayList<String>(attachmentIds));
    }

    boolean startsConversation() {
        return conversationId == null && afterClientId == null;
    }

    /** The same message, now that its conversation exists. */
    PendingMessage inConversation(String id) {
        return new PendingMessage(clientId, userId, id, null, subject, text, attachmentIds);
    }

    JSONObject toJson() throws JSONException {
        JSONObject json = new JSONObject();
        json.put("client_id", clientId);
        json.put("user_id", Json.orNull(userId));
        json.put("conversation_id", Json.orNull(conversationId));
        json.put("after_client_id", Json.orNull(afterClientId));
        json.put("subject", Json.orNull(subject));
        json.put("text", text);
        json.put("attachments", new JSONArray(attachmentIds));
        return json;
    }

    static PendingMessage fromJson(JSONObject json) throws JSONException {
        List<String> ids = new ArrayList<String>();
        JSONArray array = json.optJSONArray("attachments");
        for (int i = 0; array != null && i < array.length(); i++) ids.add(array.getString(i));
        return new PendingMessage(json.getString("client_id"), Json.string(json, "user_id"), Json.string(json, "conversation_id"), Json.string(json, "after_client_id"), Json.string(json, "subject"), json.getString("text"), ids);
    }

    /** The v1 {@code NewMessage} body. */
    JSONObject messageBody() throws JSONException {
        JSONObject message = new JSONObject();
        message.put("text", text);
        message.put("client_id", clientId);
        message.put("attachments", new JSONArray(attachmentIds));
        return message;
    }
}

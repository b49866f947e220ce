package com.supporthub.sdk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;

/** One message of a conversation (v1 {@code Message}). */
public final class Message {
    public final String id;
    public final String conversationId;
    /** The client_id this SDK sent; null for messages from agents or the system. */
    public final String clientId;
    /** {@code inbound} (from the user) or {@code outbound} (from the team). */
    public final String direction;
    /** {@code customer}, {@code agent} or {@code system}. */
    public final String authorKind;
    public final String authorName;
    public final String text;
    public final List<Attachment> attachments;
    public final String createdAt;
    public final String readAt;
    /** Opaque position: where the stream and catch-up resume. */
    public final String cursor;

    Message(JSONObject json) {
        this.id = Json.string(json, "id");
        this.conversationId = Json.string(json, "conversation_id");
        this.clientId = Json.string(json, "client_id");
        this.direction = Json.string(json, "direction");
        JSONObject author = Json.object(json, "author");
        this.authorKind = Json.string(author, "kind");
        this.authorName = Json.string(author, "name");
        this.text = Json.string(json, "text");
        List<Attachment> files = new ArrayList<Attachment>();
        JSONArray array = json.optJSONArray("attachments");
        for (int i = 0; array != null && i < array.length(); i++) {
            JSONObject item = array.optJSONObject(i);
            if (item != null) files.add(new Attachment(item));
        }
        this.attachments = Collections.unmodifiableList(files);
        this.createdAt = Json.string(json, "created_at");
        this.readAt = Json.string(json, "read_at");
        this.cursor = Json.string(json, "cursor");
    }

    /** From the team (an agent's reply or a system message such as the acknowledgement). */
    public boolean isFromTeam() {
        return "outbound".equals(direction);
    }

    @Override
    public String toString() {
        return "Message{" + authorKind + ": " + text + "}";
    }
}

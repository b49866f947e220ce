package com.supporthub.sdk;

import org.json.JSONObject;

/** One of the user's conversations (v1 {@code Conversation}). */
public final class Conversation {
    public final String id;
    public final String subject;
    /** {@code open}, {@code pending} or {@code closed}; unknown values are neutral. */
    public final String status;
    public final String createdAt;
    public final String updatedAt;
    public final String lastMessageAt;
    public final int unreadCount;
    /** This conversation's own reply-time promise; null from hubs that predate the field. */
    public final FirstReply firstReply;

    Conversation(JSONObject json) {
        this.id = Json.string(json, "id");
        this.subject = Json.string(json, "subject");
        this.status = Json.string(json, "status");
        this.createdAt = Json.string(json, "created_at");
        this.updatedAt = Json.string(json, "updated_at");
        this.lastMessageAt = Json.string(json, "last_message_at");
        this.unreadCount = json.optInt("unread_count", 0);
        JSONObject first = Json.object(json, "first_reply");
        this.firstReply = first == null ? null : new FirstReply(first);
    }

    /**
     * Once the user has written, show this rather than availability (v1 {@code first_reply}):
     * the promise the team's acknowledgement made, and when the team first answered.
     */
    public static final class FirstReply {
        /** Ready to show, e.g. "We'll reply within about an hour"; null until a time was promised. */
        public final String promise;
        public final String dueAt;
        public final String answeredAt;

        FirstReply(JSONObject json) {
            this.promise = Json.string(json, "promise");
            this.dueAt = Json.string(json, "due_at");
            this.answeredAt = Json.string(json, "answered_at");
        }
    }
}

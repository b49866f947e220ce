package com.supporthub.sdk;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;

/** A page of {@code GET /v1/conversations/{id}/messages}, oldest first. */
public final class MessagePage {
    public final List<Message> messages;
    /** Pass as {@code after} for the next page; null when the page is empty. */
    public final String cursor;
    public final boolean hasMore;

    MessagePage(JSONObject json) {
        List<Message> list = new ArrayList<Message>();
        JSONArray array = json.optJSONArray("messages");
        for (int i = 0; array != null && i < array.length(); i++) list.add(new Message(array.optJSONObject(i)));
        this.messages = Collections.unmodifiableList(list);
        this.cursor = Json.string(json, "cursor");
        this.hasMore = json.optBoolean("has_more", false);
    }
}

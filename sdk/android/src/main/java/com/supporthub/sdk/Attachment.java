package com.supporthub.sdk;

import org.json.JSONObject;

/** A stored file (v1 {@code Attachment}); send its {@link #id} with a message. */
public final class Attachment {
    public final String id;
    public final String filename;
    public final String contentType;
    public final long size;
    /** Where to fetch the bytes ({@code GET /v1/attachments/{id}}), relative to the hub. */
    public final String url;

    Attachment(JSONObject json) {
        this.id = Json.string(json, "id");
        this.filename = Json.string(json, "filename");
        this.contentType = Json.string(json, "content_type");
        this.size = json.optLong("size", 0);
        this.url = Json.string(json, "url");
    }
}

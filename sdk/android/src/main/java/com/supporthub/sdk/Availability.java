package com.supporthub.sdk;

import org.json.JSONObject;

/** {@code GET /v1/availability}: when to expect a reply before the user writes, and any status banner. */
public final class Availability {
    /** {@code open} or {@code away}. */
    public final String status;
    public final Integer expectedReplyMinutes;
    /** Ready to show, e.g. "We usually reply within an hour". */
    public final String expectedReplyText;
    public final String nextOpenAt;
    public final String timeZone;
    /** The published incident (API 1.1), or null when there is none or the hub predates it. */
    public final IncidentBanner incident;

    Availability(JSONObject json) {
        this.status = Json.string(json, "status");
        JSONObject expected = Json.object(json, "expected_reply");
        this.expectedReplyMinutes = Json.integer(expected, "minutes");
        this.expectedReplyText = Json.string(expected, "text");
        this.nextOpenAt = Json.string(json, "next_open_at");
        this.timeZone = Json.string(json, "time_zone");
        JSONObject banner = Json.object(json, "incident");
        this.incident = banner == null ? null : new IncidentBanner(banner);
    }

    /** The status banner: show it above the messages; report it once with {@code reportIncidentView}. */
    public static final class IncidentBanner {
        public final String id;
        public final String title;
        /** When the first report arrived; show it in the user's time. */
        public final String since;
        public final String updatedAt;
        public final String message;

        IncidentBanner(JSONObject json) {
            this.id = Json.string(json, "id");
            this.title = Json.string(json, "title");
            this.since = Json.string(json, "since");
            this.updatedAt = Json.string(json, "updated_at");
            this.message = Json.string(json, "message");
        }
    }
}

package com.supporthub.sdk;

import org.json.JSONException;
import org.json.JSONObject;

/** A session from {@code POST /v1/sessions}; kept in {@link Storage} so an app start reuses it. */
public final class Session {
    final String token;
    /** ISO 8601, as the hub sent it. */
    public final String expiresAt;
    public final User user;
    final String json;

    Session(JSONObject json) throws JSONException {
        this.token = json.getString("session_token");
        this.expiresAt = json.getString("expires_at");
        this.user = new User(json.getJSONObject("user"));
        this.json = json.toString();
    }

    /** Treat a session as gone a minute before it expires, so a call never races its expiry. */
    boolean isFresh(long nowMillis) {
        long expires = Times.parseIso(expiresAt);
        return expires < 0 || expires - 60000L > nowMillis;
    }
}

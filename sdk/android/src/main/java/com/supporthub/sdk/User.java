package com.supporthub.sdk;

import org.json.JSONObject;

/** Who a session is for (v1 {@code User}). */
public final class User {
    /** The app's user id; for an anonymous visitor, an id the hub chose. */
    public final String id;
    /** {@code identified} or {@code anonymous}; later v1 hubs may add values (treat as neutral). */
    public final String kind;
    public final String email;
    public final String name;
    /** True only when the email was signed in an identity token ({@code user_hash} proves the id only). */
    public final boolean verified;

    User(JSONObject json) {
        this.id = Json.string(json, "id");
        this.kind = Json.string(json, "kind");
        this.email = Json.string(json, "email");
        this.name = Json.string(json, "name");
        this.verified = json.optBoolean("verified", false);
    }

    public boolean isAnonymous() {
        return "anonymous".equals(kind);
    }
}

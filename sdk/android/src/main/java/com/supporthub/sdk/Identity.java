package com.supporthub.sdk;

import okio.ByteString;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * Who the user is, as {@code POST /v1/sessions} accepts it (v1 {@code CreateSessionRequest}). The
 * proofs are computed by the app's own server with the app's identity secret, never in the app.
 */
public final class Identity {
    final String identityToken;
    final String userId;
    final String email;
    final String name;
    final String userHash;

    private Identity(String identityToken, String userId, String email, String name, String userHash) {
        this.identityToken = identityToken;
        this.userId = userId;
        this.email = email;
        this.name = name;
        this.userHash = userHash;
    }

    /** Recommended: a JWT (HS256) carrying {@code sub}, {@code exp}, {@code email}, {@code name}; the email counts as verified. */
    public static Identity token(String identityToken) {
        if (identityToken == null || identityToken.isEmpty()) throw new IllegalArgumentException("identityToken is empty");
        return new Identity(identityToken, null, null, null, null);
    }

    /** The older proof: lowercase hex HMAC-SHA256(identity secret, user id). Proves the id only. */
    public static Identity userHash(String userId, String email, String name, String userHash) {
        if (userId == null || userId.isEmpty()) throw new IllegalArgumentException("userId is empty");
        if (userHash == null || userHash.isEmpty()) throw new IllegalArgumentException("userHash is empty");
        return new Identity(null, userId, email, name, userHash);
    }

    /** A visitor the hub gives an id (the app must allow anonymous visitors). */
    public static Identity anonymous() {
        return new Identity(null, null, null, null, null);
    }

    JSONObject toJson(DeviceContext device) throws JSONException {
        JSONObject body = new JSONObject();
        if (identityToken != null) body.put("identity_token", identityToken);
        if (userId != null) {
            JSONObject user = new JSONObject();
            user.put("id", userId);
            if (email != null) user.put("email", email);
            if (name != null) user.put("name", name);
            body.put("user", user);
            body.put("user_hash", userHash);
        }
        if (device != null) body.put("device", device.toJson());
        return body;
    }

    /** Whether a stored session is this identity's, so an app start reuses it instead of signing in again. */
    boolean matches(User user) {
        String id = identityToken != null ? tokenSubject(identityToken) : userId;
        if (identityToken != null && id == null) return false; // cannot tell: ask the hub
        return id != null ? "identified".equals(user.kind) && id.equals(user.id) : user.isAnonymous();
    }

    /** The {@code sub} claim, read but not verified (the hub verifies), to match a stored session. */
    static String tokenSubject(String token) {
        String[] parts = token.split("\\.");
        if (parts.length < 2) return null;
        // JWT uses base64url without padding (RFC 7515 §2); okio decodes both alphabets.
        ByteString decoded = ByteString.decodeBase64(parts[1]);
        if (decoded == null) return null;
        try {
            JSONObject claims = new JSONObject(decoded.utf8());
            return Json.string(claims, "sub");
        } catch (JSONException e) {
            return null;
        }
    }
}

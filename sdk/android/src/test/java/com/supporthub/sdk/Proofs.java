package com.supporthub.sdk;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.json.JSONObject;

/** What the app's own server computes with the identity secret (never the app): for the tests only. */
final class Proofs {
    private Proofs() {}

    /** A JWT HS256 (RFC 7519) with sub, email, name and exp, as the README's jose example signs it. */
    static String identityToken(String userId, String email, String name) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        JSONObject claims = new JSONObject().put("sub", userId).put("email", email).put("name", name).put("exp", System.currentTimeMillis() / 1000 + 3600);
        String payload = b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + "." + b64.encodeToString(hmac((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
    }

    /** Lowercase hex HMAC-SHA256(identity secret, user id). */
    static String userHash(String userId) throws Exception {
        StringBuilder hex = new StringBuilder();
        for (byte b : hmac(userId.getBytes(StandardCharsets.UTF_8))) hex.append(String.format("%02x", b));
        return hex.toString();
    }

    private static byte[] hmac(byte[] data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(TestHub.SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return mac.doFinal(data);
    }
}

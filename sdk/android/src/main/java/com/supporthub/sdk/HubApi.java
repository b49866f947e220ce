package com.supporthub.sdk;

import java.io.IOException;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * One HTTP exchange with the v1 API: app id header, session token, error mapping, and one session
 * renewal on 401 (as the TypeScript client does) when the identity to renew with is known.
 */
final class HubApi {
    private static final MediaType JSON = MediaType.parse("application/json; charset=utf-8");

    final HttpUrl baseUrl;
    final String appId;
    final OkHttpClient http;
    private final Storage storage;
    private final String sessionKey;
    private final DeviceContext device;
    private final SessionListener sessionListener;
    private Identity identity;
    private Session session;
    private boolean restored;

    interface SessionListener {
        void onSessionChanged(Session session);
    }

    HubApi(HttpUrl baseUrl, String appId, OkHttpClient http, Storage storage, DeviceContext device, SessionListener listener) {
        this.baseUrl = baseUrl;
        this.appId = appId;
        this.http = http;
        this.storage = storage;
        this.sessionKey = "supporthub." + appId + ".session";
        this.device = device;
        this.sessionListener = listener;
    }

    // ── Sessions ──

    synchronized Session restoreSession() {
        if (!restored) {
            restored = true;
            String raw = storage.get(sessionKey);
            if (raw != null && session == null) {
                try {
                    session = new Session(new JSONObject(raw));
                } catch (JSONException e) {
                    storage.remove(sessionKey); // corrupt: start over
                }
            }
        }
        if (session != null && !session.isFresh(System.currentTimeMillis())) forgetSession();
        return session;
    }

    synchronized Identity identity() {
        return identity;
    }

    /** Reuses the stored session when it is this identity's; otherwise asks the hub for one. */
    Session identify(Identity who) throws SupportHubException {
        synchronized (this) {
            identity = who;
            Session stored = restoreSession();
            if (stored != null && who.matches(stored.user)) return stored;
        }
        return startSession(who);
    }

    Session startSession(Identity who) throws SupportHubException {
        JSONObject body;
        try {
            body = who.toJson(device);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
        JSONObject answer = call("POST", "/v1/sessions", body, false);
        try {
            Session created = new Session(answer);
            saveSession(created);
            return created;
        } catch (JSONException e) {
            throw invalidResponse("POST /v1/sessions");
        }
    }

    synchronized void forgetIdentity() {
        identity = null;
        forgetSession();
    }

    private synchronized void saveSession(Session created) {
        session = created;
        restored = true;
        storage.set(sessionKey, created.json);
        sessionListener.onSessionChanged(created);
    }

    synchronized void forgetSession() {
        boolean had = session != null;
        session = null;
        storage.remove(sessionKey);
        if (had) sessionListener.onSessionChanged(null);
    }

    synchronized Session currentSession() {
        return session;
    }

    /** A session for a call: the stored one, or a new one for the remembered identity. */
    Session sessionForCall() throws SupportHubException {
        Identity who;
        synchronized (this) {
            Session current = restoreSession();
            if (current != null) return current;
            who = identity;
        }
        if (who == null) throw new SupportHubException(401, "no_session", "no chat session: call identify() first", -1);
        return startSession(who);
    }

    /**
     * After a 401 (or stream close 4401) seen with {@code stale}: one new session, however many calls
     * found the old one expired together. Null when there is no identity to renew with.
     */
    Session renewAfter(Session stale) throws SupportHubException {
        Identity who;
        synchronized (this) {
            if (session != null && (stale == null || !session.token.equals(stale.token))) return session;
            forgetSession();
            who = identity;
        }
        return who == null ? null : startSession(who);
    }

    // ── HTTP ──

    JSONObject call(String method, String path, JSONObject body, boolean auth) throws SupportHubException {
        RequestBody requestBody = body == null ? (method.equals("POST") || method.equals("PUT") ? RequestBody.create(JSON, "{}") : null) : RequestBody.create(JSON, body.toString());
        return readJson(method, path, send(method, path, requestBody, auth, true));
    }

    /** A call whose body is raw bytes (an attachment upload). */
    JSONObject call(String method, String path, boolean auth, RequestBody raw) throws SupportHubException {
        return readJson(method, path, send(method, path, raw, auth, true));
    }

    /** Sends and returns a 2xx response (the caller closes it); anything else becomes an exception. */
    Response send(String method, String path, RequestBody body, boolean auth, boolean renew) throws SupportHubException {
        Session used = auth ? sessionForCall() : null;
        Response response = execute(method, path, body, used);
        if (response.isSuccessful()) return response;
        if (response.code() == 401 && auth && renew) {
            response.close();
            Session renewed = renewAfter(used);
            if (renewed != null) {
                Response again = execute(method, path, body, renewed);
                if (again.isSuccessful()) return again;
                throw toError(again);
            }
            throw new SupportHubException.UnauthorizedException("invalid_token", "the session was refused and there is no identity to renew it with");
        }
        throw toError(response);
    }

    private Response execute(String method, String path, RequestBody body, Session used) throws SupportHubException {
        HttpUrl url = HttpUrl.get(baseUrl.toString().replaceAll("/+$", "") + path);
        Request.Builder request = new Request.Builder().url(url).method(method, body).header("X-Hub-App-Id", appId).header("Accept", "application/json");
        if (used != null) request.header("Authorization", "Bearer " + used.token);
        try {
            return http.newCall(request.build()).execute();
        } catch (IOException e) {
            throw new SupportHubException(0, "network_error", "could not reach the hub (" + method + " " + path + "): " + e.getMessage(), -1);
        }
    }

    private static JSONObject readJson(String method, String path, Response response) throws SupportHubException {
        try {
            if (response.code() == 204) return new JSONObject();
            ResponseBody body = response.body();
            String text = body == null ? "" : body.string();
            return new JSONObject(text);
        } catch (IOException e) {
            throw new SupportHubException(0, "network_error", "the answer to " + method + " " + path + " was cut: " + e.getMessage(), -1);
        } catch (JSONException e) {
            throw invalidResponse(method + " " + path);
        } finally {
            response.close();
        }
    }

    private static SupportHubException invalidResponse(String what) {
        return new SupportHubException(0, "invalid_response", "the hub answered " + what + " with something that is not the v1 shape", -1);
    }

    /** v1 "Errors": {@code { error: { code, message } }}; a proxy's page keeps the generic {@code http_<status>}. */
    static SupportHubException toError(Response response) {
        int status = response.code();
        String code = "http_" + status;
        String message = "the hub answered " + status;
        try {
            ResponseBody body = response.body();
            JSONObject error = new JSONObject(body == null ? "" : body.string()).optJSONObject("error");
            if (error != null) {
                code = error.optString("code", code);
                message = error.optString("message", message);
            }
        } catch (IOException ignored) {
            // the body was lost; the status is what counts
        } catch (JSONException ignored) {
            // not our JSON (a proxy's error page)
        } finally {
            response.close();
        }
        return SupportHubException.of(status, code, message, retryAfter(response.header("Retry-After")));
    }

    /** Seconds (RFC 9110 §10.2.3, delay-seconds; the hub sends only that form), or -1. */
    static long retryAfter(String value) {
        if (value == null) return -1;
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

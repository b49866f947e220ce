package com.supporthub.sdk;

import org.json.JSONObject;

/** Small readers over org.json (which Android ships): null for JSON null or a missing field. */
final class Json {
    private Json() {}

    static String string(JSONObject object, String key) {
        if (object == null || !object.has(key) || object.isNull(key)) return null;
        return object.optString(key, null);
    }

    static JSONObject object(JSONObject object, String key) {
        return object == null ? null : object.optJSONObject(key);
    }

    static Integer integer(JSONObject object, String key) {
        if (object == null || !object.has(key) || object.isNull(key)) return null;
        return object.optInt(key);
    }

    /** JSON null for a Java null (org.json drops keys put with a plain null). */
    static Object orNull(Object value) {
        return value == null ? JSONObject.NULL : value;
    }
}

package com.supporthub.sdk;

import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.util.Locale;
import java.util.TimeZone;

/** RFC 3339 timestamps as the hub writes them (UTC, {@code Z}, milliseconds), without java.time (API 26). */
final class Times {
    private Times() {}

    /** Milliseconds since the epoch, or -1 when unreadable. */
    static long parseIso(String value) {
        if (value == null) return -1;
        String v = value.endsWith("Z") ? value.substring(0, value.length() - 1) : value;
        String[] patterns = {"yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss"};
        for (String pattern : patterns) {
            SimpleDateFormat format = new SimpleDateFormat(pattern, Locale.US);
            format.setTimeZone(TimeZone.getTimeZone("UTC"));
            format.setLenient(false);
            try {
                return format.parse(v.length() > 23 ? v.substring(0, 23) : v).getTime();
            } catch (ParseException ignored) {
                // try the next form
            }
        }
        return -1;
    }
}

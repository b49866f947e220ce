package com.supporthub.sdk;

import java.util.Locale;
import java.util.TimeZone;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * What agents see about the device: v1 {@code Device} (camelCase keys, every field optional, at
 * most 200 characters each), sent with {@code POST /v1/sessions}. The core cannot read
 * {@code android.os.Build}; the app passes those values (see README "Android").
 */
public final class DeviceContext {
    public static final String PLATFORM = "android";
    private static final int MAX = 200;

    public final String osVersion;
    public final String appVersion;
    public final String model;
    /** e.g. {@code wifi}, {@code cellular}, {@code none}. */
    public final String network;
    public final String locale;
    public final String timeZone;

    public DeviceContext(String osVersion, String appVersion, String model, String network, String locale, String timeZone) {
        this.osVersion = osVersion;
        this.appVersion = appVersion;
        this.model = model;
        this.network = network;
        this.locale = locale;
        this.timeZone = timeZone;
    }

    /**
     * Locale and time zone from the JVM defaults (on Android: the user's settings); OS version,
     * app version, model and network from the app ({@code "Android " + Build.VERSION.RELEASE},
     * {@code BuildConfig.VERSION_NAME}, {@code Build.MODEL}, ConnectivityManager).
     */
    public static DeviceContext of(String osVersion, String appVersion, String model, String network) {
        Locale locale = Locale.getDefault();
        String tag = locale.getCountry().isEmpty() ? locale.getLanguage() : locale.getLanguage() + "-" + locale.getCountry();
        return new DeviceContext(osVersion, appVersion, model, network, tag, TimeZone.getDefault().getID());
    }

    JSONObject toJson() throws JSONException {
        JSONObject json = new JSONObject();
        json.put("platform", PLATFORM);
        json.put("osVersion", Json.orNull(cut(osVersion)));
        json.put("appVersion", Json.orNull(cut(appVersion)));
        json.put("sdkVersion", SupportHub.SDK_VERSION);
        json.put("model", Json.orNull(cut(model)));
        json.put("network", Json.orNull(cut(network)));
        json.put("locale", Json.orNull(cut(locale)));
        json.put("timeZone", Json.orNull(cut(timeZone)));
        return json;
    }

    // The hub refuses a field over 200 characters (400); a long model name must not cost the session.
    private static String cut(String value) {
        return value == null || value.length() <= MAX ? value : value.substring(0, MAX);
    }
}

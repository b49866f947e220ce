package com.supporthub.sdk;

import java.io.UnsupportedEncodingException;
import java.net.URLEncoder;

final class Paths {
    private Paths() {}

    /** A path segment or query value, percent-encoded (spaces as %20, not '+'). */
    static String segment(String value) {
        try {
            return URLEncoder.encode(value, "UTF-8").replace("+", "%20");
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}

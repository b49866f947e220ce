package com.supporthub.sdk;

/**
 * An error answer of the hub ({@code { "error": { "code", "message" } }}, v1 contract "Errors"), or
 * status 0 when no answer came. {@link #code} is the hub's stable machine-readable code; a client
 * that does not know a code acts on {@link #status}, as the contract asks.
 */
public class SupportHubException extends Exception {
    private static final long serialVersionUID = 1L;

    /** HTTP status; 0 when the request may not have reached the hub or its answer was lost. */
    public final int status;
    /** The hub's stable {@code error.code} (e.g. {@code invalid_request}), or {@code http_<status>}. */
    public final String code;
    /** Seconds the hub asked to wait ({@code Retry-After} on 429), or -1. */
    public final long retryAfterSeconds;

    public SupportHubException(int status, String code, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** The request may not have reached the hub, or its answer was lost: retrying may help. */
    public boolean isNetworkError() {
        return status == 0;
    }

    /** Worth retrying unchanged: no answer, or the hub (or a proxy) was temporarily unavailable. */
    public boolean isTransient() {
        return status == 0 || status == 502 || status == 503 || status == 504 || status == 429 || status == 500;
    }

    /** Builds the most specific subclass for an answer (413/415 on uploads, 401, 429). */
    static SupportHubException of(int status, String code, String message, long retryAfterSeconds) {
        if (status == 413 || status == 415) return new AttachmentRejectedException(status, code, message);
        if (status == 401) return new UnauthorizedException(code, message);
        if (status == 429) return new RateLimitedException(code, message, retryAfterSeconds);
        return new SupportHubException(status, code, message, retryAfterSeconds);
    }

    /** 413 {@code payload_too_large} or 415 {@code unsupported_media_type}: the hub's attachment limits. */
    public static class AttachmentRejectedException extends SupportHubException {
        private static final long serialVersionUID = 1L;

        AttachmentRejectedException(int status, String code, String message) {
            super(status, code, message, -1);
        }

        /** Larger than the hub's {@code CHAT_ATTACHMENT_MAX_BYTES}. */
        public boolean isTooLarge() {
            return status == 413;
        }
    }

    /** 401: {@code identity_not_verified}, {@code invalid_token}, {@code token_expired}. */
    public static class UnauthorizedException extends SupportHubException {
        private static final long serialVersionUID = 1L;

        UnauthorizedException(String code, String message) {
            super(401, code, message, -1);
        }
    }

    /** 429 {@code rate_limited}; {@link #retryAfterSeconds} says when to try again. */
    public static class RateLimitedException extends SupportHubException {
        private static final long serialVersionUID = 1L;

        RateLimitedException(String code, String message, long retryAfterSeconds) {
            super(429, code, message, retryAfterSeconds);
        }
    }
}

package com.supporthub.sdk;

/** The live stream's state. */
public enum ConnectionState {
    CONNECTING,
    /** Replay done ({@code ready} frame); new messages arrive live. */
    OPEN,
    /** Lost; the next attempt is scheduled with backoff. */
    RECONNECTING,
    /** Stopped by {@code disconnect()}. */
    CLOSED,
    /** Stopped for good by the hub: 4401 and no new session could be made. */
    CLOSED_UNAUTHORIZED,
    /** Stopped for good by the hub: 4400 (bad request or a cursor it did not issue; not retried unchanged). */
    CLOSED_BAD_REQUEST
}

package com.supporthub.sdk;

/**
 * Events of the live connection and the send queue, each delivered on the callback executor in the
 * order they happened. Override what you need.
 */
public abstract class Listener {
    /**
     * A message of one of the user's conversations: replayed after the stored cursor, then live.
     * Each message id once, in the hub's order. The user's own messages come too (match them to what
     * you showed by {@link Message#clientId}).
     */
    public void onMessage(Message message) {}

    /** A conversation changed (status, unread count). */
    public void onConversation(Conversation conversation) {}

    /** A queued message was acknowledged by the hub (stored exactly once, whatever the retries). */
    public void onSent(PendingMessage pending, Message stored, Conversation conversation) {}

    /** The hub refused a queued message for good (a 4xx other than 401/429); it was dropped from the queue. */
    public void onSendFailed(PendingMessage pending, SupportHubException error) {}

    /** The stream's state changed; {@code closeCode} is the WebSocket close code that caused it, or 0. */
    public void onConnectionState(ConnectionState state, int closeCode) {}
}

package com.supporthub.sdk;

import java.util.concurrent.Executor;

/** Hands every event to the app's listener on the app's executor. */
final class Events {
    private final Executor executor;
    private volatile Listener listener;

    Events(Executor executor) {
        this.executor = executor;
    }

    void setListener(Listener listener) {
        this.listener = listener;
    }

    void message(final Message message) {
        final Listener l = listener;
        if (l != null) executor.execute(new Runnable() {
            public void run() {
                l.onMessage(message);
            }
        });
    }

    void conversation(final Conversation conversation) {
        final Listener l = listener;
        if (l != null) executor.execute(new Runnable() {
            public void run() {
                l.onConversation(conversation);
            }
        });
    }

    void sent(final PendingMessage pending, final Message stored, final Conversation conversation) {
        final Listener l = listener;
        if (l != null) executor.execute(new Runnable() {
            public void run() {
                l.onSent(pending, stored, conversation);
            }
        });
    }

    void sendFailed(final PendingMessage pending, final SupportHubException error) {
        final Listener l = listener;
        if (l != null) executor.execute(new Runnable() {
            public void run() {
                l.onSendFailed(pending, error);
            }
        });
    }

    void state(final ConnectionState state, final int closeCode) {
        final Listener l = listener;
        if (l != null) executor.execute(new Runnable() {
            public void run() {
                l.onConnectionState(state, closeCode);
            }
        });
    }

    <T> void success(final Callback<T> callback, final T result) {
        executor.execute(new Runnable() {
            public void run() {
                callback.onSuccess(result);
            }
        });
    }

    void failure(final Callback<?> callback, final SupportHubException error) {
        executor.execute(new Runnable() {
            public void run() {
                callback.onError(error);
            }
        });
    }
}

package com.supporthub.sdk;

/** The result of an asynchronous call, delivered on the executor given to {@code callbackExecutor}. */
public interface Callback<T> {
    void onSuccess(T result);

    void onError(SupportHubException error);
}

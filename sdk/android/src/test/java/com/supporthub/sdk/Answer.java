package com.supporthub.sdk;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A {@link Callback} a test can wait on; records whether it ran on the app's "main" thread. */
final class Answer<T> implements Callback<T> {
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile T result;
    private volatile SupportHubException error;
    volatile String thread;

    public void onSuccess(T value) {
        thread = Thread.currentThread().getName();
        result = value;
        done.countDown();
    }

    public void onError(SupportHubException failure) {
        thread = Thread.currentThread().getName();
        error = failure;
        done.countDown();
    }

    T get() throws Exception {
        if (!done.await(30, TimeUnit.SECONDS)) throw new AssertionError("no answer within 30 s");
        if (!"app-main".equals(thread)) throw new AssertionError("callback ran on " + thread + ", not the app's executor");
        if (error != null) throw error;
        return result;
    }
}

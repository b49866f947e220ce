package com.supporthub.sdk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The app's side in tests: a listener on a single "main" thread that records every event and
 * checks they all arrive on that thread, as an Android main-thread executor would run them.
 */
final class Recorder extends Listener {
    final ExecutorService main = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-main"));
    final List<Message> messages = new ArrayList<Message>();
    final List<Message> sent = new ArrayList<Message>();
    final List<Conversation> sentConversations = new ArrayList<Conversation>();
    final List<SupportHubException> sendFailures = new ArrayList<SupportHubException>();
    final List<ConnectionState> states = new ArrayList<ConnectionState>();
    final List<String> wrongThread = new ArrayList<String>();

    Executor executor() {
        return main;
    }

    private void onMain(String what) {
        if (!Thread.currentThread().getName().equals("app-main")) wrongThread.add(what + " on " + Thread.currentThread().getName());
    }

    @Override
    public synchronized void onMessage(Message message) {
        onMain("onMessage");
        messages.add(message);
        notifyAll();
    }

    @Override
    public synchronized void onSent(PendingMessage pending, Message stored, Conversation conversation) {
        onMain("onSent");
        sent.add(stored);
        if (conversation != null) sentConversations.add(conversation);
        notifyAll();
    }

    @Override
    public synchronized void onSendFailed(PendingMessage pending, SupportHubException error) {
        onMain("onSendFailed");
        sendFailures.add(error);
        notifyAll();
    }

    @Override
    public synchronized void onConnectionState(ConnectionState state, int closeCode) {
        onMain("onConnectionState");
        states.add(state);
        notifyAll();
    }

    /** Waits until {@code condition} holds over this recorder (checked under its lock). */
    synchronized void await(String what, long timeoutMs, Predicate<Recorder> condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!condition.test(this)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) throw new AssertionError("timed out waiting for " + what + "; messages=" + messages + " sent=" + sent.size() + " states=" + states + " failures=" + sendFailures);
            wait(Math.min(left, 200));
        }
    }

    synchronized List<String> texts() {
        List<String> texts = new ArrayList<String>();
        for (Message m : messages) texts.add(m.text);
        return texts;
    }

    void shutdown() throws InterruptedException {
        main.shutdown();
        main.awaitTermination(5, TimeUnit.SECONDS);
    }
}

package com.supporthub.sdk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The send queue. Every message is written to {@link Storage} before it is attempted and removed
 * only once the hub acknowledged it (201, or 200 for a client_id it already stored: v1
 * createMessage / createConversation are idempotent by client_id). So a lost answer, a dead network
 * or a killed process is retried later with the same client_id and stored exactly once. Messages go
 * out one at a time, in the order they were queued, so the team reads them in the user's order.
 */
final class Outbox {
    private final HubApi api;
    private final Storage storage;
    private final String key;
    private final ScheduledExecutorService scheduler;
    private final Events events;
    private final long baseDelayMs;
    private final long maxDelayMs;
    private final List<PendingMessage> queue = new ArrayList<PendingMessage>();
    /** Starters acknowledged in this process: client_id → the conversation the hub created. */
    private final java.util.Map<String, String> startedConversations = new java.util.HashMap<String, String>();
    private boolean draining;
    private boolean scheduled;
    private int attempt;

    Outbox(HubApi api, Storage storage, String key, ScheduledExecutorService scheduler, Events events, long baseDelayMs, long maxDelayMs) {
        this.api = api;
        this.storage = storage;
        this.key = key;
        this.scheduler = scheduler;
        this.events = events;
        this.baseDelayMs = baseDelayMs;
        this.maxDelayMs = maxDelayMs;
        load();
    }

    private void load() {
        String raw = storage.get(key);
        if (raw == null) return;
        try {
            JSONArray array = new JSONArray(raw);
            for (int i = 0; i < array.length(); i++) queue.add(PendingMessage.fromJson(array.getJSONObject(i)));
        } catch (JSONException e) {
            // A corrupt queue cannot be sent as it was written; drop it rather than crash every start.
            storage.remove(key);
        }
    }

    private void persist() {
        JSONArray array = new JSONArray();
        try {
            for (PendingMessage pending : queue) array.put(pending.toJson());
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
        if (queue.isEmpty()) storage.remove(key);
        else storage.set(key, array.toString());
    }

    /**
     * Adds a follow-up of the conversation {@code starterClientId} opens: as it is while the starter
     * waits in the queue, into the created conversation once it was acknowledged. False when this
     * queue never had that starter (refused, or from another user).
     */
    synchronized boolean add(PendingMessage pending, String starterClientId) {
        String created = startedConversations.get(starterClientId);
        if (created != null) {
            add(pending.inConversation(created));
            return true;
        }
        for (PendingMessage queued : queue) {
            if (queued.clientId.equals(starterClientId)) {
                add(pending);
                return true;
            }
        }
        return false;
    }

    synchronized void add(PendingMessage pending) {
        queue.add(pending);
        persist();
        kick();
    }

    /**
     * Keeps only what {@code userId} wrote (or what was queued before anyone signed in): another
     * person signing in on this device must never send the previous one's words as theirs.
     */
    synchronized void keepOnlyFrom(String userId) {
        boolean changed = false;
        for (java.util.Iterator<PendingMessage> it = queue.iterator(); it.hasNext(); ) {
            PendingMessage pending = it.next();
            if (pending.userId != null && !pending.userId.equals(userId)) {
                it.remove();
                changed = true;
            }
        }
        if (changed) persist();
    }

    synchronized List<PendingMessage> pending() {
        return new ArrayList<PendingMessage>(queue);
    }

    synchronized void clear() {
        queue.clear();
        persist();
    }

    /** Try now (the network is back, the user identified, the stream reconnected). */
    synchronized void kick() {
        attempt = 0;
        if (draining || scheduled || queue.isEmpty()) return;
        scheduled = true;
        try {
            scheduler.execute(new Runnable() {
                public void run() {
                    drain();
                }
            });
        } catch (RejectedExecutionException shutDown) {
            // The SDK was shut down; the queue stays in storage for the next start.
        }
    }

    private void drain() {
        synchronized (this) {
            scheduled = false;
            if (draining) return;
            draining = true;
        }
        try {
            while (true) {
                PendingMessage head;
                synchronized (this) {
                    if (queue.isEmpty()) {
                        // Cleared under the same lock add() takes, so an add now is never missed.
                        draining = false;
                        return;
                    }
                    head = queue.get(0);
                }
                try {
                    JSONObject answer = post(head);
                    Message stored = new Message(answer.getJSONObject("message"));
                    JSONObject conversation = answer.optJSONObject("conversation");
                    synchronized (this) {
                        queue.remove(head);
                        if (head.startsConversation()) startedConversations.put(head.clientId, stored.conversationId);
                        // Follow-ups written before this conversation existed now know where they go.
                        for (int i = 0; i < queue.size(); i++) {
                            if (head.clientId.equals(queue.get(i).afterClientId)) queue.set(i, queue.get(i).inConversation(stored.conversationId));
                        }
                        persist();
                        attempt = 0;
                    }
                    events.sent(head, stored, conversation == null ? null : new Conversation(conversation));
                } catch (JSONException e) {
                    retryLater(-1);
                    return;
                } catch (SupportHubException e) {
                    if (e.isTransient() || e.status == 401) {
                        // 401 here means no session could be made (no identity yet): identify() kicks us.
                        if (e.status != 401 || api.identity() != null) retryLater(e.retryAfterSeconds);
                        return;
                    }
                    List<PendingMessage> orphans = new ArrayList<PendingMessage>();
                    synchronized (this) {
                        queue.remove(head);
                        // A conversation that was refused takes the follow-ups written into it along.
                        for (PendingMessage pending : queue) if (head.clientId.equals(pending.afterClientId)) orphans.add(pending);
                        queue.removeAll(orphans);
                        persist();
                    }
                    events.sendFailed(head, e);
                    for (PendingMessage orphan : orphans) events.sendFailed(orphan, e);
                }
            }
        } finally {
            synchronized (this) {
                draining = false;
            }
        }
    }

    private JSONObject post(PendingMessage pending) throws SupportHubException, JSONException {
        if (pending.startsConversation()) {
            JSONObject body = new JSONObject();
            if (pending.subject != null) body.put("subject", pending.subject);
            body.put("message", pending.messageBody());
            return api.call("POST", "/v1/conversations", body, true);
        }
        return api.call("POST", "/v1/conversations/" + Paths.segment(pending.conversationId) + "/messages", pending.messageBody(), true);
    }

    private synchronized void retryLater(long retryAfterSeconds) {
        long ceiling = Math.min(maxDelayMs, baseDelayMs << Math.min(attempt, 20));
        long delay = Math.max(retryAfterSeconds * 1000L, ceiling);
        attempt++;
        if (scheduled) return;
        scheduled = true;
        try {
            scheduler.schedule(new Runnable() {
                public void run() {
                    drain();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shutDown) {
            // The SDK was shut down; the queue stays in storage for the next start.
        }
    }
}

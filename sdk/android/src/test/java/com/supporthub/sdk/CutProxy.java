package com.supporthub.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between the SDK and the hub whose network a test can cut: refuse connections (the
 * phone is offline), or let requests through and lose the answers (the network died mid-send,
 * after the hub committed). Plain bytes, so HTTP and WebSocket alike.
 */
final class CutProxy implements AutoCloseable {
    enum Mode { PASS, REFUSE, LOSE_ANSWERS }

    private final ServerSocket server;
    private final int target;
    private volatile Mode mode = Mode.PASS;
    /** Bytes stop flowing but no connection closes: a half-open TCP connection (a dead Wi-Fi). */
    private volatile boolean frozen;
    private final List<Socket> open = new CopyOnWriteArrayList<Socket>();
    /** Answers thrown away in LOSE_ANSWERS mode. */
    final AtomicInteger lostAnswers = new AtomicInteger();

    CutProxy(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(new Runnable() {
            public void run() {
                accept();
            }
        }, "cut-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    void freeze(boolean on) {
        frozen = on;
    }

    /** Sets the mode and drops every connection open now (a network change does). */
    void set(Mode next) {
        mode = next;
        for (Socket socket : open) closeQuietly(socket);
        open.clear();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                final Socket client = server.accept();
                if (mode == Mode.REFUSE) {
                    closeQuietly(client);
                    continue;
                }
                final Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                open.add(client);
                open.add(upstream);
                final boolean lose = mode == Mode.LOSE_ANSWERS;
                pump(client, upstream, false);
                pump(upstream, client, lose);
            } catch (IOException e) {
                // closed, or the hub is down: the client sees its connection reset
            }
        }
    }

    private void pump(final Socket from, final Socket to, final boolean loseAnswer) {
        Thread thread = new Thread(new Runnable() {
            public void run() {
                byte[] buffer = new byte[16384];
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        if (loseAnswer) {
                            // The hub answered (so it has committed); the phone never hears it.
                            lostAnswers.incrementAndGet();
                            break;
                        }
                        if (frozen) continue; // swallowed: neither side hears anything, neither side is closed
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // either side went away
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }
        }, "cut-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        set(Mode.PASS);
    }
}

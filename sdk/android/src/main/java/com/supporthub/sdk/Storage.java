package com.supporthub.sdk;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the SDK keeps what must survive a process restart: the session, the stream cursor and the
 * queue of messages not yet acknowledged. Calls come from the SDK's own thread, never the main one.
 *
 * <p>On Android, back it with SharedPreferences ({@code commit()}, not {@code apply()}, so that a
 * queued message is on disk before the SDK reports it queued):
 *
 * <pre>{@code
 * final SharedPreferences prefs = context.getSharedPreferences("supporthub", Context.MODE_PRIVATE);
 * Storage storage = new Storage() {
 *     public String get(String key) { return prefs.getString(key, null); }
 *     public void set(String key, String value) { prefs.edit().putString(key, value).commit(); }
 *     public void remove(String key) { prefs.edit().remove(key).commit(); }
 * };
 * }</pre>
 */
public interface Storage {
    /** The stored value, or null. */
    String get(String key);

    void set(String key, String value);

    void remove(String key);

    /** Kept in memory only: nothing survives the process (tests, or apps that want no persistence). */
    final class Memory implements Storage {
        private final Map<String, String> values = new HashMap<String, String>();

        @Override
        public synchronized String get(String key) {
            return values.get(key);
        }

        @Override
        public synchronized void set(String key, String value) {
            values.put(key, value);
        }

        @Override
        public synchronized void remove(String key) {
            values.remove(key);
        }
    }

    /**
     * One file per key in a directory (e.g. {@code context.getFilesDir()}); each write goes to a
     * temporary file first and is renamed over the old one, so a crash leaves the old or the new value.
     */
    final class Files implements Storage {
        private static final Charset UTF8 = Charset.forName("UTF-8");
        private final File directory;

        public Files(File directory) {
            this.directory = directory;
            if (!directory.isDirectory() && !directory.mkdirs()) {
                throw new IllegalArgumentException("cannot create storage directory " + directory);
            }
        }

        private File fileFor(String key) {
            StringBuilder name = new StringBuilder();
            for (char c : key.toCharArray()) {
                name.append(Character.isLetterOrDigit(c) || c == '.' || c == '-' ? c : '_');
            }
            return new File(directory, name.toString());
        }

        @Override
        public synchronized String get(String key) {
            File file = fileFor(key);
            if (!file.isFile()) return null;
            try {
                InputStream in = new FileInputStream(file);
                try {
                    byte[] bytes = new byte[(int) file.length()];
                    int read = 0;
                    while (read < bytes.length) {
                        int n = in.read(bytes, read, bytes.length - read);
                        if (n < 0) break;
                        read += n;
                    }
                    return new String(bytes, 0, read, UTF8);
                } finally {
                    in.close();
                }
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        public synchronized void set(String key, String value) {
            File file = fileFor(key);
            File temp = new File(directory, file.getName() + ".tmp");
            try {
                OutputStream out = new FileOutputStream(temp);
                try {
                    out.write(value.getBytes(UTF8));
                    ((FileOutputStream) out).getFD().sync();
                } finally {
                    out.close();
                }
                if (!temp.renameTo(file)) throw new IOException("rename failed");
            } catch (IOException e) {
                throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public synchronized void remove(String key) {
            File file = fileFor(key);
            if (file.exists() && !file.delete()) throw new IllegalStateException("cannot delete " + file);
        }
    }
}

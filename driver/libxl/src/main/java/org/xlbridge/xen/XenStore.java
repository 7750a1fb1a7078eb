package org.xlbridge.xen;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A xenstore-like tree: nodes with string values, watches, and special paths ({@code @releaseDomain}). Clients talk
 * to it through {@link XsConnection}s; a watch notification reaches its client as bytes on the connection's own
 * file descriptor, written by the connection's writer thread, as xenstored's replies reach libxl on its socket.
 *
 * <p>Semantics kept from xenstored: writing a node creates its missing parents; a watch fires once when it is set,
 * then for every change at or below its path (with the changed path), and for the removal of the node or any
 * ancestor (with its own path); special paths start with {@code @} and fire only when the host says so.
 *
 * <p>Locking: one lock, {@code this} (synchronized), guards {@link #nodes} and {@link #watches}. Connections' queues
 * have their own lock, always taken after the store's. Internal listeners (the host's guests and backends watching
 * the tree) are called after a change with no store lock held.
 */
public final class XenStore {
    static final int MAX_PATH = 3072;

    /** Path to value; "" for a node that only holds children. Guarded by this. */
    private final TreeMap<String, String> nodes = new TreeMap<>();
    /** Watched path to the watches on it. Guarded by this. */
    private final TreeMap<String, List<Watch>> watches = new TreeMap<>();
    /** Called with (path, new value or null if removed) after each change, no lock held. */
    private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();

    /** A watch: a connection, a path, a token. Immutable. */
    record Watch(XsConnection conn, String path, String token) {
    }

    public XenStore() {
        nodes.put("/", "");
    }

    /** Opens a client connection with its own notification fd and writer thread. */
    public XsConnection connect(String name) {
        return new XsConnection(this, name);
    }

    /** Lets the host see every change (path, value or null when removed); called with no store lock held. */
    public void addListener(BiConsumer<String, String> listener) {
        listeners.add(listener);
    }

    /** The value at {@code path}, or null if there is no such node. */
    public synchronized String read(String path) {
        checkPath(path, false);
        return nodes.get(path);
    }

    /** The names of the children of {@code path} (empty if none or no such node). */
    public synchronized List<String> directory(String path) {
        checkPath(path, false);
        String prefix = path.equals("/") ? "/" : path + "/";
        List<String> out = new ArrayList<>();
        for (String k : nodes.subMap(prefix, true, prefix + Character.MAX_VALUE, false).keySet()) {
            String rest = k.substring(prefix.length());
            if (!rest.isEmpty() && rest.indexOf('/') < 0) {
                out.add(rest);
            }
        }
        return out;
    }

    /** Writes {@code value} at {@code path}, creating missing parents, and fires the watches that cover it. */
    public void write(String path, String value) {
        checkPath(path, false);
        if (value == null) {
            throw new XenException(XenException.Kind.INVALID, "xenstore value must not be null (path " + path + ")");
        }
        synchronized (this) {
            String p = parent(path);
            while (p != null && !nodes.containsKey(p)) {
                nodes.put(p, "");
                p = parent(p);
            }
            nodes.put(path, value);
            fireCovering(path);
        }
        for (BiConsumer<String, String> l : listeners) {
            l.accept(path, value);
        }
    }

    /**
     * Removes {@code path} and everything below it; fires the watches on it, above it and below it.
     *
     * @return whether the node existed
     */
    public boolean rm(String path) {
        checkPath(path, false);
        if (path.equals("/")) {
            throw new XenException(XenException.Kind.INVALID, "cannot remove the xenstore root");
        }
        synchronized (this) {
            if (!nodes.containsKey(path)) {
                return false;
            }
            nodes.remove(path);
            nodes.subMap(path + "/", true, path + "/" + Character.MAX_VALUE, false).clear();
            fireCovering(path);
            for (List<Watch> ws : watches.subMap(path + "/", true, path + "/" + Character.MAX_VALUE, false)
                    .values()) {
                for (Watch w : ws) {
                    w.conn().enqueue(w.path(), w.token());
                }
            }
        }
        for (BiConsumer<String, String> l : listeners) {
            l.accept(path, null);
        }
        return true;
    }

    /** Fires the watches on a special path such as {@code @releaseDomain}. */
    public void fireSpecial(String special) {
        checkPath(special, true);
        synchronized (this) {
            List<Watch> ws = watches.get(special);
            if (ws != null) {
                for (Watch w : ws) {
                    w.conn().enqueue(special, w.token());
                }
            }
        }
    }

    /** Number of watches set, all connections together. */
    public synchronized int watchCount() {
        int n = 0;
        for (List<Watch> ws : watches.values()) {
            n += ws.size();
        }
        return n;
    }

    /** Number of nodes, the root included. */
    public synchronized int nodeCount() {
        return nodes.size();
    }

    // ------------------------------------------------------------------ for XsConnection

    synchronized void watch(XsConnection conn, String path, String token) {
        checkPath(path, true);
        checkToken(token);
        List<Watch> ws = watches.computeIfAbsent(path, k -> new ArrayList<>());
        for (Watch w : ws) {
            if (w.conn() == conn && w.token().equals(token)) {
                throw new XenException(XenException.Kind.INVALID, "watch " + path + " token " + token
                        + " already set on " + conn);
            }
        }
        ws.add(new Watch(conn, path, token));
        conn.enqueue(path, token); // xenstored fires a new watch once at once
    }

    synchronized boolean unwatch(XsConnection conn, String path, String token) {
        List<Watch> ws = watches.get(path);
        if (ws == null) {
            return false;
        }
        boolean removed = ws.removeIf(w -> w.conn() == conn && w.token().equals(token));
        if (ws.isEmpty()) {
            watches.remove(path);
        }
        return removed;
    }

    synchronized void unwatchAll(XsConnection conn) {
        watches.values().forEach(ws -> ws.removeIf(w -> w.conn() == conn));
        watches.values().removeIf(List::isEmpty);
    }

    // ------------------------------------------------------------------ helpers

    /** Fires the watches on {@code path} and on each of its ancestors, with {@code path}. Called holding this. */
    private void fireCovering(String path) {
        String p = path;
        while (p != null) {
            List<Watch> ws = watches.get(p);
            if (ws != null) {
                for (Watch w : ws) {
                    w.conn().enqueue(path, w.token());
                }
            }
            p = parent(p);
        }
    }

    static String parent(String path) {
        if (path.equals("/")) {
            return null;
        }
        int i = path.lastIndexOf('/');
        return i == 0 ? "/" : path.substring(0, i);
    }

    static void checkPath(String path, boolean specialAllowed) {
        if (path == null || path.isEmpty()) {
            throw new XenException(XenException.Kind.INVALID, "xenstore path must not be empty");
        }
        if (path.length() > MAX_PATH) {
            throw new XenException(XenException.Kind.INVALID, "xenstore path longer than " + MAX_PATH);
        }
        boolean special = path.charAt(0) == '@';
        if (special && !specialAllowed) {
            throw new XenException(XenException.Kind.INVALID, "special path " + path + " cannot be read or written");
        }
        if (!special && path.charAt(0) != '/') {
            throw new XenException(XenException.Kind.INVALID, "xenstore path must be absolute: " + path);
        }
        if (!special && path.length() > 1 && (path.endsWith("/") || path.contains("//"))) {
            throw new XenException(XenException.Kind.INVALID, "malformed xenstore path: " + path);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new XenException(XenException.Kind.INVALID, "xenstore path has a character outside"
                        + " printable ASCII: " + path);
            }
        }
    }

    static void checkToken(String token) {
        if (token == null || token.isEmpty()) {
            throw new XenException(XenException.Kind.INVALID, "watch token must not be empty");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new XenException(XenException.Kind.INVALID, "watch token must be printable ASCII: " + token);
            }
        }
    }

    /** Live view for tests of the host: every node under {@code prefix}. */
    synchronized Map<String, String> subtree(String prefix) {
        NavigableMap<String, String> m = nodes.subMap(prefix, true, prefix + "/" + Character.MAX_VALUE, false);
        return new TreeMap<>(m);
    }
}

package rocketmqrs.tools;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Shared plumbing of our interop programs: "--name value" arguments, one-line JSON output on
 * stdout (one event per line, flushed at once so a test can react while the program runs), and
 * the JSON form of a received message.
 */
final class Cli {
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final String usage;

    Cli(String[] args, String usage) {
        this.usage = usage;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                fail("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String value = "true";
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            }
            options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    void fail(String why) {
        System.err.println(why);
        System.err.println("usage: " + usage);
        System.exit(2);
    }

    String str(String name, String dflt) {
        List<String> v = options.get(name);
        return v == null ? dflt : v.get(v.size() - 1);
    }

    String required(String name) {
        String v = str(name, null);
        if (v == null) {
            fail("missing --" + name);
        }
        return v;
    }

    List<String> all(String name) {
        List<String> v = options.get(name);
        return v == null ? new ArrayList<>() : v;
    }

    int integer(String name, int dflt) {
        String v = str(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            fail("--" + name + " must be an integer, not '" + v + "'");
            return dflt;
        }
    }

    long number(String name, long dflt) {
        String v = str(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            fail("--" + name + " must be an integer, not '" + v + "'");
            return dflt;
        }
    }

    boolean flag(String name) {
        return "true".equals(str(name, "false"));
    }

    /** "k=v" options as an ordered map. */
    Map<String, String> pairs(String name) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String kv : all(name)) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                fail("--" + name + " takes key=value, not '" + kv + "'");
            }
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    /** Prints one JSON line and flushes, atomically with respect to other threads. */
    static void emit(Json json) {
        String line = json.toString();
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /** Lower-case hex of `bytes` (null stays null). */
    static String hex(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    /** The common JSON form of a received message (delivery, query or view result). */
    static Json message(MessageExt m) {
        Json j = new Json();
        j.put("msgId", m.getMsgId());
        j.put("offsetMsgId", offsetMsgId(m));
        j.put("topic", m.getTopic());
        j.put("queueId", m.getQueueId());
        j.put("queueOffset", m.getQueueOffset());
        j.put("commitLogOffset", m.getCommitLogOffset());
        j.put("reconsumeTimes", m.getReconsumeTimes());
        j.put("sysFlag", m.getSysFlag());
        j.put("bodyCrc", m.getBodyCRC());
        j.put("body", hex(m.getBody()));
        j.put("tags", m.getTags());
        j.put("keys", m.getKeys());
        j.put("storeTimestamp", m.getStoreTimestamp());
        j.put("bornTimestamp", m.getBornTimestamp());
        j.put("bornHost", String.valueOf(m.getBornHostString()));
        j.put("storeHost", m.getStoreHost() == null ? null : m.getStoreHost().toString());
        j.put("delayLevel", m.getDelayTimeLevel());
        Map<String, String> props = m.getProperties() == null ? new TreeMap<>() : new TreeMap<>(m.getProperties());
        j.putMap("properties", props);
        return j;
    }

    /** The broker's offset message id of a received message (MessageClientExt keeps it apart). */
    static String offsetMsgId(MessageExt m) {
        try {
            return (String) m.getClass().getMethod("getOffsetMsgId").invoke(m);
        } catch (ReflectiveOperationException e) {
            return m.getMsgId();
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A tiny ordered JSON object writer (strings, numbers, booleans, string maps and lists). */
    static final class Json {
        private final StringBuilder sb = new StringBuilder("{");
        private boolean first = true;

        private StringBuilder key(String name) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            quote(sb, name);
            return sb.append(':');
        }

        Json put(String name, String value) {
            key(name);
            if (value == null) {
                sb.append("null");
            } else {
                quote(sb, value);
            }
            return this;
        }

        Json put(String name, long value) {
            key(name).append(value);
            return this;
        }

        Json put(String name, boolean value) {
            key(name).append(value);
            return this;
        }

        Json putMap(String name, Map<String, String> map) {
            key(name).append('{');
            boolean f = true;
            for (Map.Entry<String, String> e : map.entrySet()) {
                if (!f) {
                    sb.append(',');
                }
                f = false;
                quote(sb, e.getKey());
                sb.append(':');
                if (e.getValue() == null) {
                    sb.append("null");
                } else {
                    quote(sb, e.getValue());
                }
            }
            sb.append('}');
            return this;
        }

        Json putList(String name, List<String> list) {
            key(name).append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                quote(sb, list.get(i));
            }
            sb.append(']');
            return this;
        }

        Json putRaw(String name, Json inner) {
            key(name).append(inner.toString());
            return this;
        }

        @Override
        public String toString() {
            return sb.toString() + "}";
        }

        private static void quote(StringBuilder sb, String value) {
            sb.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('"');
        }
    }
}

package rocketmqrs.golden;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny JSON writer for the manifest (independent of the fastjson under test, so the
 * manifest's own formatting never depends on the library whose output we record).
 * Values: null, Boolean, Number, String, byte[] (written as base64), Map, Collection.
 */
final class Json {
    private Json() {
    }

    /** An insertion-ordered object builder. */
    static final class Obj {
        final LinkedHashMap<String, Object> map = new LinkedHashMap<>();

        Obj put(String key, Object value) {
            map.put(key, value);
            return this;
        }
    }

    static Obj obj() {
        return new Obj();
    }

    static List<Object> list(Object... items) {
        List<Object> out = new ArrayList<>();
        for (Object o : items) {
            out.add(o);
        }
        return out;
    }

    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        sb.append('\n');
        return sb.toString();
    }

    private static void indent(StringBuilder sb, int depth) {
        for (int i = 0; i < depth; i++) {
            sb.append("  ");
        }
    }

    @SuppressWarnings("unchecked")
    private static void write(StringBuilder sb, Object v, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Obj) {
            write(sb, ((Obj) v).map, depth);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
            || v instanceof Byte) {
            sb.append(v);
        } else if (v instanceof Number) {
            sb.append(v.toString());
        } else if (v instanceof byte[]) {
            string(sb, Base64.getEncoder().encodeToString((byte[]) v));
        } else if (v instanceof Map) {
            Map<Object, Object> m = (Map<Object, Object>) v;
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<Object, Object> e : m.entrySet()) {
                indent(sb, depth + 1);
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), depth + 1);
                if (++i < m.size()) {
                    sb.append(',');
                }
                sb.append('\n');
            }
            indent(sb, depth);
            sb.append('}');
        } else if (v instanceof Collection) {
            Collection<Object> c = (Collection<Object>) v;
            if (c.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            int i = 0;
            for (Object o : c) {
                indent(sb, depth + 1);
                write(sb, o, depth + 1);
                if (++i < c.size()) {
                    sb.append(',');
                }
                sb.append('\n');
            }
            indent(sb, depth);
            sb.append(']');
        } else {
            string(sb, v.toString());
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}

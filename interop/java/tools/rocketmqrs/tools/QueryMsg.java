package rocketmqrs.tools;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Looks messages up through the Java client's admin API (DefaultMQAdminExt). For every lookup
 * it prints each message found as {"event":"msg","lookup":L,"message":{...}}, then
 * {"event":"done","lookup":L,"found":N[,"error":E]}.
 *
 * <p>Lookups (each may repeat, all run in order): --key K (queryMessage: QUERY_MESSAGE by key),
 * --id ID (viewMessage(topic, id): an offset message id is read with VIEW_MESSAGE_BY_ID; a
 * client unique id falls back to the unique-key query), --uniq ID (queryMessageByUniqKey:
 * QUERY_MESSAGE with the unique-key flag). The index may lag the store, so each lookup is
 * retried until --expect messages are found or --wait-ms passes. Exit status 0 when every
 * lookup found at least --expect (default 1), 4 otherwise.
 */
public final class QueryMsg {
    private static final String USAGE = "QueryMsg --namesrv ADDR --topic T (--key K | --id ID | --uniq ID)..."
        + " [--max N] [--expect N] [--wait-ms MS] [--begin MS] [--end MS]";

    private QueryMsg() {
    }

    public static void main(String[] args) throws Exception {
        Cli cli = new Cli(args, USAGE);
        String namesrv = cli.required("namesrv");
        String topic = cli.required("topic");
        int max = cli.integer("max", 32);
        int expect = cli.integer("expect", 1);
        long waitMs = cli.number("wait-ms", 10000);
        long begin = cli.number("begin", 0);
        long end = cli.number("end", Long.MAX_VALUE);
        List<String[]> lookups = new ArrayList<>();
        for (String kind : new String[] {"key", "id", "uniq"}) {
            for (String v : cli.all(kind)) {
                lookups.add(new String[] {kind, v});
            }
        }
        if (lookups.isEmpty()) {
            cli.fail("give at least one --key, --id or --uniq");
        }

        DefaultMQAdminExt admin = new DefaultMQAdminExt(15000);
        admin.setMqClientApiTimeout(15000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("interop-query-" + ProcessHandle.current().pid());
        admin.start();
        int code = 0;
        try {
            for (String[] lookup : lookups) {
                String kind = lookup[0];
                String value = lookup[1];
                long deadline = System.currentTimeMillis() + waitMs;
                List<MessageExt> found = new ArrayList<>();
                String lastError = null;
                while (true) {
                    found.clear();
                    try {
                        if (kind.equals("key")) {
                            found.addAll(admin.queryMessage(topic, value, max, begin, end).getMessageList());
                        } else if (kind.equals("id")) {
                            MessageExt m = admin.viewMessage(topic, value);
                            if (m != null) {
                                found.add(m);
                            }
                        } else {
                            found.addAll(byUniqKey(admin, topic, value, max, begin, end).getMessageList());
                        }
                        lastError = null;
                    } catch (Exception e) {
                        lastError = e.toString();
                    }
                    if (found.size() >= expect || System.currentTimeMillis() > deadline) {
                        break;
                    }
                    Thread.sleep(200);
                }
                String name = kind + ":" + value;
                for (MessageExt m : found) {
                    Cli.emit(new Cli.Json().put("event", "msg").put("lookup", name).putRaw("message", Cli.message(m)));
                }
                Cli.Json done = new Cli.Json().put("event", "done").put("lookup", name).put("found", found.size());
                if (lastError != null) {
                    done.put("error", lastError);
                }
                Cli.emit(done);
                if (found.size() < expect) {
                    code = 4;
                }
            }
        } catch (Exception e) {
            e.printStackTrace();
            code = 1;
        }
        // Exit without shutdown: a 5.x client's shutdown waits seconds for its service threads.
        System.exit(code);
    }

    /** queryMessageByUniqKey: 4.9.8 takes (topic, key, max, begin, end), 5.x adds a cluster first. */
    private static QueryResult byUniqKey(DefaultMQAdminExt admin, String topic, String key, int max, long begin,
        long end) throws Exception {
        for (Method m : admin.getClass().getMethods()) {
            if (!m.getName().equals("queryMessageByUniqKey") || m.getReturnType() != QueryResult.class) {
                continue;
            }
            Class<?>[] p = m.getParameterTypes();
            if (p.length == 6 && p[0] == String.class && p[3] == int.class) {
                return invoke(m, admin, null, topic, key, max, begin, end);
            }
            if (p.length == 5 && p[0] == String.class && p[2] == int.class) {
                return invoke(m, admin, topic, key, max, begin, end);
            }
        }
        throw new IllegalStateException("no queryMessageByUniqKey on " + admin.getClass());
    }

    private static QueryResult invoke(Method m, Object target, Object... args) throws Exception {
        try {
            return (QueryResult) m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw e;
        }
    }
}

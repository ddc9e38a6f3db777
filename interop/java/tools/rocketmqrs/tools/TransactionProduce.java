package rocketmqrs.tools;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Sends transactional (half) messages with the real Java TransactionMQProducer and settles them
 * per message: message i takes mode number i mod N of --modes (comma-separated):
 * "commit" / "rollback" answer at once from executeLocalTransaction; "unknown-commit" /
 * "unknown-rollback" answer UNKNOW there and commit / roll back when the broker asks
 * (CHECK_TRANSACTION_STATE, checkLocalTransaction).
 *
 * <p>Prints {"event":"sent",...} per message, {"event":"check",...} per check the listener
 * answers, and {"event":"done",...} once every send is done and every unknown message was
 * checked at least once; then exits 0. Exits 1 on a failed send, 3 when the checks did not all
 * arrive within --check-timeout-ms.
 *
 * <p>Message i: body "prefix-i|" + binary bytes (as Produce), tags --tags, keys "key-i tx-key",
 * user properties "idx"=i and "txMode"=its mode.
 */
public final class TransactionProduce {
    private static final String USAGE = "TransactionProduce --namesrv ADDR --topic T --group G"
        + " [--modes commit,rollback,unknown-commit,unknown-rollback] [--count N] [--tags T]"
        + " [--body-prefix P] [--body-size BYTES] [--check-timeout-ms MS]";

    private TransactionProduce() {
    }

    public static void main(String[] args) throws Exception {
        Cli cli = new Cli(args, USAGE);
        String namesrv = cli.required("namesrv");
        String topic = cli.required("topic");
        String group = cli.required("group");
        String[] modes = cli.str("modes", "commit").split(",");
        for (String m : modes) {
            if (!m.equals("commit") && !m.equals("rollback") && !m.equals("unknown-commit")
                && !m.equals("unknown-rollback")) {
                cli.fail("unknown mode '" + m + "'");
            }
        }
        int count = cli.integer("count", modes.length);
        String tags = cli.str("tags", "TagTx");
        String prefix = cli.str("body-prefix", "tx");
        int bodySize = cli.integer("body-size", 48);
        long checkTimeoutMs = cli.number("check-timeout-ms", 60000);
        long pid = ProcessHandle.current().pid();

        int unknown = 0;
        for (int i = 0; i < count; i++) {
            if (modes[i % modes.length].startsWith("unknown-")) {
                unknown++;
            }
        }
        // Indices whose check was answered (a message may be checked more than once).
        Set<Integer> checked = ConcurrentHashMap.newKeySet();
        CountDownLatch allChecked = new CountDownLatch(unknown);

        TransactionMQProducer producer = new TransactionMQProducer(group);
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("interop-tx-" + pid);
        producer.setSendMsgTimeout(30000);
        producer.setMqClientApiTimeout(15000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.setTransactionListener(new TransactionListener() {
            @Override
            public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
                switch (modeOf(msg)) {
                    case "commit":
                        return LocalTransactionState.COMMIT_MESSAGE;
                    case "rollback":
                        return LocalTransactionState.ROLLBACK_MESSAGE;
                    default:
                        return LocalTransactionState.UNKNOW;
                }
            }

            @Override
            public LocalTransactionState checkLocalTransaction(MessageExt msg) {
                String mode = modeOf(msg);
                LocalTransactionState answer;
                if (mode.equals("unknown-commit")) {
                    answer = LocalTransactionState.COMMIT_MESSAGE;
                } else if (mode.equals("unknown-rollback")) {
                    answer = LocalTransactionState.ROLLBACK_MESSAGE;
                } else {
                    // Settled already by executeLocalTransaction: the broker should not ask.
                    answer = LocalTransactionState.UNKNOW;
                }
                String idx = msg.getUserProperty("idx");
                Cli.emit(new Cli.Json().put("event", "check")
                    .put("index", idx == null ? -1 : Integer.parseInt(idx))
                    .put("msgId", MessageClientIDSetter.getUniqID(msg))
                    .put("transactionId", msg.getTransactionId())
                    .put("topic", msg.getTopic())
                    .put("mode", mode)
                    .put("answer", answer.name()));
                if (idx != null && mode.startsWith("unknown-") && checked.add(Integer.parseInt(idx))) {
                    allChecked.countDown();
                }
                return answer;
            }
        });
        int code = 0;
        try {
            producer.start();
            for (int i = 0; i < count; i++) {
                String mode = modes[i % modes.length];
                Message m = new Message(topic, Produce.body(prefix, i, bodySize));
                if (!tags.isEmpty()) {
                    m.setTags(tags);
                }
                m.setKeys("key-" + i + " tx-key");
                m.putUserProperty("idx", Integer.toString(i));
                m.putUserProperty("txMode", mode);
                long at = System.currentTimeMillis();
                TransactionSendResult r = producer.sendMessageInTransaction(m, null);
                Cli.emit(new Cli.Json().put("event", "sent").put("index", i)
                    .put("mode", mode)
                    .put("msgId", MessageClientIDSetter.getUniqID(m))
                    .put("transactionId", r.getTransactionId())
                    .put("localState", r.getLocalTransactionState() == null ? null
                        : r.getLocalTransactionState().name())
                    .put("sendStatus", r.getSendStatus() == null ? null : r.getSendStatus().name())
                    .put("queueId", r.getMessageQueue() == null ? -1 : r.getMessageQueue().getQueueId())
                    .put("topic", topic)
                    .put("sentAt", at)
                    .put("body", Cli.hex(m.getBody()))
                    .put("tags", m.getTags())
                    .put("keys", m.getKeys()));
            }
            if (!allChecked.await(checkTimeoutMs, TimeUnit.MILLISECONDS)) {
                Cli.emit(new Cli.Json().put("event", "error").put("error",
                    "only " + checked.size() + " of " + unknown + " unknown transactions were checked"));
                code = 3;
            } else {
                // Let the client's one-way END_TRANSACTION answers of the last checks go out.
                Thread.sleep(1000);
                Cli.emit(new Cli.Json().put("event", "done").put("sent", count).put("checked", checked.size()));
            }
        } catch (Exception e) {
            Cli.emit(new Cli.Json().put("event", "error").put("error", e.toString()));
            e.printStackTrace();
            code = 1;
        } finally {
            // An orderly close flushes the one-way END_TRANSACTION requests.
            producer.shutdown();
        }
        System.exit(code);
    }

    private static String modeOf(Message msg) {
        String mode = msg.getUserProperty("txMode");
        return mode == null ? "" : mode;
    }
}

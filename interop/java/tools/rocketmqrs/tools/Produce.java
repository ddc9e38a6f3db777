package rocketmqrs.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.impl.producer.TopicPublishInfo;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Sends messages with the real Java client and prints one JSON line per message
 * ({"event":"sent",...}) and a last line {"event":"done","sent":N}. Exits non-zero when a send
 * fails (after printing {"event":"error",...}).
 *
 * <p>Message i: body = UTF-8 "prefix-i|" followed by bytes that are not valid UTF-8 (so the body
 * is binary) up to --body-size bytes; tags and keys from templates where "{i}" is replaced by i
 * (and "{k}" by the order key in orderly mode); every --prop k=v as a user property, plus "idx"=i.
 */
public final class Produce {
    private static final String USAGE = "Produce --namesrv ADDR --topic T [--mode sync|async|oneway|batch|orderly]"
        + " [--count N] [--tags TEMPLATE] [--keys TEMPLATE] [--prop k=v]... [--body-prefix P] [--body-size BYTES]"
        + " [--batch-size B] [--order-keys K] [--delay-level L] [--group G] [--timeout-ms MS]";

    private Produce() {
    }

    public static void main(String[] args) throws Exception {
        Cli cli = new Cli(args, USAGE);
        String namesrv = cli.required("namesrv");
        String topic = cli.required("topic");
        String mode = cli.str("mode", "sync");
        int count = cli.integer("count", 1);
        String tags = cli.str("tags", "");
        String keys = cli.str("keys", "");
        Map<String, String> props = cli.pairs("prop");
        String prefix = cli.str("body-prefix", "body");
        int bodySize = cli.integer("body-size", 0);
        int batchSize = cli.integer("batch-size", 4);
        int orderKeys = cli.integer("order-keys", 1);
        int delayLevel = cli.integer("delay-level", 0);
        long timeoutMs = cli.number("timeout-ms", 30000);
        long pid = ProcessHandle.current().pid();
        String group = cli.str("group", "interop_producer_" + pid);

        DefaultMQProducer producer = new DefaultMQProducer(group);
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("interop-produce-" + pid);
        producer.setSendMsgTimeout((int) Math.min(timeoutMs, Integer.MAX_VALUE));
        // Route look-ups time out after 3 s by default, too short on a loaded test machine;
        // a failed look-up makes the client fall back to the default topic's queue count.
        producer.setMqClientApiTimeout(15000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.setRetryTimesWhenSendAsyncFailed(0);
        producer.start();
        int code = 0;
        try {
            loadRoute(producer, topic, timeoutMs);
            List<Message> msgs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String orderKey = "order-" + (i % Math.max(orderKeys, 1));
                Message m = new Message(topic, body(prefix, i, bodySize));
                String t = fill(tags, i, orderKey);
                if (!t.isEmpty()) {
                    m.setTags(t);
                }
                String k = fill(keys, i, orderKey);
                if (!k.isEmpty()) {
                    m.setKeys(k);
                }
                for (Map.Entry<String, String> p : props.entrySet()) {
                    m.putUserProperty(p.getKey(), fill(p.getValue(), i, orderKey));
                }
                m.putUserProperty("idx", Integer.toString(i));
                if (delayLevel > 0) {
                    m.setDelayTimeLevel(delayLevel);
                }
                msgs.add(m);
            }
            switch (mode) {
                case "sync":
                    for (int i = 0; i < count; i++) {
                        long at = System.currentTimeMillis();
                        SendResult r = producer.send(msgs.get(i));
                        Cli.emit(sent(i, msgs.get(i), r, at, 0, r.getOffsetMsgId()));
                    }
                    break;
                case "orderly":
                    MessageQueueSelector byKey = (mqs, msg, arg) -> mqs.get(Math.floorMod(arg.hashCode(), mqs.size()));
                    for (int i = 0; i < count; i++) {
                        String orderKey = "order-" + (i % Math.max(orderKeys, 1));
                        long at = System.currentTimeMillis();
                        SendResult r = producer.send(msgs.get(i), byKey, orderKey);
                        Cli.emit(sent(i, msgs.get(i), r, at, 0, r.getOffsetMsgId()).put("orderKey", orderKey));
                    }
                    break;
                case "oneway":
                    for (int i = 0; i < count; i++) {
                        long at = System.currentTimeMillis();
                        producer.sendOneway(msgs.get(i));
                        Cli.emit(sent(i, msgs.get(i), null, at, 0, null));
                    }
                    break;
                case "async":
                    code = sendAsync(producer, msgs, timeoutMs);
                    break;
                case "batch":
                    for (int start = 0; start < count; start += batchSize) {
                        List<Message> batch = msgs.subList(start, Math.min(count, start + batchSize));
                        long at = System.currentTimeMillis();
                        SendResult r = producer.send(new ArrayList<>(batch));
                        String[] ids = r.getMsgId() == null ? new String[0] : r.getMsgId().split(",");
                        String[] offsetIds = r.getOffsetMsgId() == null ? new String[0] : r.getOffsetMsgId().split(",");
                        for (int j = 0; j < batch.size(); j++) {
                            // A batch's SendResult joins the ids with commas, in message order.
                            Cli.Json line = sent(start + j, batch.get(j), r, at, j,
                                j < offsetIds.length ? offsetIds[j] : null);
                            line.put("batchMsgId", j < ids.length ? ids[j] : null);
                            line.put("batchOffsetMsgId", j < offsetIds.length ? offsetIds[j] : null);
                            Cli.emit(line);
                        }
                    }
                    break;
                default:
                    cli.fail("unknown --mode " + mode);
            }
            if (code == 0) {
                Cli.emit(new Cli.Json().put("event", "done").put("sent", count));
            }
        } catch (Exception e) {
            Cli.emit(new Cli.Json().put("event", "error").put("error", e.toString()));
            e.printStackTrace();
            code = 1;
        } finally {
            // Every send but a one-way one was acknowledged, so exit at once: a 5.x client's
            // shutdown waits seconds for its service threads. One-way sends are flushed by
            // the shutdown's orderly channel close.
            if (mode.equals("oneway")) {
                producer.shutdown();
            }
        }
        System.exit(code);
    }

    /**
     * Loads the topic's route into the producer before its first send. The first send would look
     * the route up itself, but under a lock that the client's start-up route refresh may hold;
     * when that wait gives up (after 3 s, on a loaded machine) the client sends with the default
     * topic's queue count and the broker refuses queue ids the topic lacks. Retrying here until
     * the route is loaded keeps every send on the topic's own queues.
     */
    private static void loadRoute(DefaultMQProducer producer, String topic, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            producer.getDefaultMQProducerImpl().getmQClientFactory().updateTopicRouteInfoFromNameServer(topic);
            TopicPublishInfo info = producer.getDefaultMQProducerImpl().getTopicPublishInfoTable().get(topic);
            if (info != null && info.ok()) {
                return;
            }
            if (System.currentTimeMillis() >= deadline) {
                throw new IllegalStateException("no route for topic " + topic + " after " + timeoutMs + " ms");
            }
            Thread.sleep(100);
        }
    }

    private static int sendAsync(DefaultMQProducer producer, List<Message> msgs, long timeoutMs) throws Exception {
        CountDownLatch latch = new CountDownLatch(msgs.size());
        AtomicInteger failures = new AtomicInteger();
        for (int i = 0; i < msgs.size(); i++) {
            final int idx = i;
            final Message m = msgs.get(i);
            final long at = System.currentTimeMillis();
            producer.send(m, new SendCallback() {
                @Override
                public void onSuccess(SendResult r) {
                    Cli.emit(sent(idx, m, r, at, 0, r.getOffsetMsgId()));
                    latch.countDown();
                }

                @Override
                public void onException(Throwable e) {
                    failures.incrementAndGet();
                    Cli.emit(new Cli.Json().put("event", "error").put("index", idx).put("error", e.toString()));
                    latch.countDown();
                }
            });
        }
        if (!latch.await(timeoutMs + 5000, TimeUnit.MILLISECONDS)) {
            Cli.emit(new Cli.Json().put("event", "error").put("error", "async sends did not complete in time"));
            return 1;
        }
        return failures.get() == 0 ? 0 : 1;
    }

    /** The JSON line of one sent message; `r` is null for one-way sends. */
    static Cli.Json sent(int idx, Message m, SendResult r, long sentAt, int batchIndex, String offsetMsgId) {
        Cli.Json j = new Cli.Json().put("event", "sent").put("index", idx);
        if (r == null) {
            j.put("status", "ONEWAY");
            j.put("msgId", MessageClientIDSetter.getUniqID(m));
            j.put("offsetMsgId", (String) null);
            j.put("brokerName", (String) null);
            j.put("queueId", -1);
            j.put("queueOffset", -1);
        } else {
            MessageQueue mq = r.getMessageQueue();
            j.put("status", r.getSendStatus().name());
            j.put("msgId", MessageClientIDSetter.getUniqID(m));
            j.put("offsetMsgId", offsetMsgId);
            j.put("brokerName", mq.getBrokerName());
            j.put("queueId", mq.getQueueId());
            j.put("queueOffset", r.getQueueOffset() + batchIndex);
        }
        j.put("topic", m.getTopic());
        j.put("sentAt", sentAt);
        j.put("body", Cli.hex(m.getBody()));
        j.put("tags", m.getTags());
        j.put("keys", m.getKeys());
        j.put("delayLevel", m.getDelayTimeLevel());
        j.putMap("userProperties", userProperties(m));
        return j;
    }

    /** The message's properties minus the ones the client sets for itself. */
    private static Map<String, String> userProperties(Message m) {
        Map<String, String> out = new java.util.TreeMap<>(m.getProperties());
        for (String sys : new String[] {"TAGS", "KEYS", "UNIQ_KEY", "WAIT", "DELAY", "MSGREGION", "TRACE_ON",
            "__STARTDELIVERTIME", "INSTANCE_ID"}) {
            out.remove(sys);
        }
        return out;
    }

    static String fill(String template, int i, String orderKey) {
        return template.replace("{i}", Integer.toString(i)).replace("{k}", orderKey);
    }

    /** "prefix-i|" then bytes 0x80.. (invalid UTF-8 on their own) up to `size` bytes. */
    static byte[] body(String prefix, int i, int size) {
        byte[] head = Cli.utf8(prefix + "-" + i + "|");
        int len = Math.max(size, head.length);
        byte[] out = new byte[len];
        System.arraycopy(head, 0, out, 0, head.length);
        for (int k = head.length; k < len; k++) {
            out[k] = (byte) (0x80 + ((i * 31 + k) % 0x7f));
        }
        return out;
    }
}

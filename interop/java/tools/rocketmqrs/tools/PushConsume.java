package rocketmqrs.tools;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import @PROTO@.heartbeat.MessageModel;

/**
 * A push consumer of the real Java client that prints every delivery as a JSON line
 * ({"event":"msg",...}: the message, the queue it came from, the status returned and the
 * arrival time), each rebalance ({"event":"allocate",...}), {"event":"ready"} once started, and
 * {"event":"done","deliveries":N,"reached":bool} at the end.
 *
 * <p>It stops after --expect deliveries (0: no limit), after --timeout-ms, or, with --stdin, when
 * a line "stop" or end-of-file arrives on standard input. Exit status 0 when --expect was reached
 * (or stopped through stdin), 3 on timeout.
 *
 * <p>--fail-first N returns RECONSUME_LATER (concurrent) / SUSPEND_CURRENT_QUEUE_A_MOMENT (orderly)
 * while the message's reconsumeTimes is below N; --fail-always always does.
 */
public final class PushConsume {
    private static final String USAGE = "PushConsume --namesrv ADDR --topic T --group G [--expr '*'|--sql EXPR]"
        + " [--listener concurrent|orderly] [--model clustering|broadcasting] [--expect N] [--timeout-ms MS]"
        + " [--fail-first N | --fail-always] [--max-reconsume M] [--retry-delay-level L] [--suspend-ms MS]"
        + " [--from first|last] [--instance NAME] [--linger-ms MS] [--stdin]";

    private PushConsume() {
    }

    public static void main(String[] args) throws Exception {
        Cli cli = new Cli(args, USAGE);
        String namesrv = cli.required("namesrv");
        String topic = cli.required("topic");
        String group = cli.required("group");
        String expr = cli.str("expr", "*");
        String sql = cli.str("sql", null);
        boolean orderly = "orderly".equals(cli.str("listener", "concurrent"));
        boolean broadcast = "broadcasting".equals(cli.str("model", "clustering"));
        int expect = cli.integer("expect", 0);
        long timeoutMs = cli.number("timeout-ms", 60000);
        int failFirst = cli.flag("fail-always") ? Integer.MAX_VALUE : cli.integer("fail-first", 0);
        int maxReconsume = cli.integer("max-reconsume", -1);
        int retryDelayLevel = cli.integer("retry-delay-level", 0);
        long suspendMs = cli.number("suspend-ms", 200);
        long lingerMs = cli.number("linger-ms", 0);
        String instance = cli.str("instance", "interop-consume-" + ProcessHandle.current().pid());

        CountDownLatch finished = new CountDownLatch(1);
        AtomicInteger deliveries = new AtomicInteger();

        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName(instance);
        consumer.setMessageModel(broadcast ? MessageModel.BROADCASTING : MessageModel.CLUSTERING);
        consumer.setConsumeFromWhere("last".equals(cli.str("from", "first"))
            ? ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET : ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPersistConsumerOffsetInterval(1000);
        // Route look-ups time out after 3 s by default, too short on a loaded test machine.
        consumer.setMqClientApiTimeout(15000);
        // On shutdown, let the consume threads finish (offset update, send-back) before the
        // offsets are persisted; by default the client persists without waiting.
        consumer.setAwaitTerminationMillisWhenShutdown(10000);
        consumer.setSuspendCurrentQueueTimeMillis(suspendMs);
        if (maxReconsume >= 0) {
            consumer.setMaxReconsumeTimes(maxReconsume);
        }
        consumer.setAllocateMessageQueueStrategy(new Reporting(instance));
        if (sql != null) {
            consumer.subscribe(topic, org.apache.rocketmq.client.consumer.MessageSelector.bySql(sql));
        } else {
            consumer.subscribe(topic, expr);
        }

        if (orderly) {
            consumer.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                boolean fail = false;
                for (MessageExt m : msgs) {
                    fail |= m.getReconsumeTimes() < failFirst;
                }
                String status = fail ? ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT.name()
                    : ConsumeOrderlyStatus.SUCCESS.name();
                report(instance, msgs, ctx.getMessageQueue(), status, deliveries, expect, finished);
                return fail ? ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT : ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                boolean fail = false;
                for (MessageExt m : msgs) {
                    fail |= m.getReconsumeTimes() < failFirst;
                }
                if (fail && retryDelayLevel != 0) {
                    ctx.setDelayLevelWhenNextConsume(retryDelayLevel);
                }
                String status = fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER.name()
                    : ConsumeConcurrentlyStatus.CONSUME_SUCCESS.name();
                report(instance, msgs, ctx.getMessageQueue(), status, deliveries, expect, finished);
                return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }

        if (cli.flag("stdin")) {
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.trim().equals("stop")) {
                            break;
                        }
                    }
                } catch (Exception e) {
                    // end of input either way
                }
                finished.countDown();
            }, "stdin-stop");
            reader.setDaemon(true);
            reader.start();
        }

        consumer.start();
        Cli.emit(new Cli.Json().put("event", "ready").put("instance", instance)
            .put("clientId", consumer.buildMQClientId()));
        boolean reached = finished.await(timeoutMs, TimeUnit.MILLISECONDS);
        if (lingerMs > 0) {
            Thread.sleep(lingerMs);
        }
        consumer.shutdown();
        Cli.emit(new Cli.Json().put("event", "done").put("instance", instance)
            .put("deliveries", deliveries.get()).put("reached", reached));
        System.exit(reached ? 0 : 3);
    }

    private static void report(String instance, List<MessageExt> msgs, MessageQueue mq, String status,
        AtomicInteger deliveries, int expect, CountDownLatch finished) {
        long now = System.currentTimeMillis();
        for (MessageExt m : msgs) {
            Cli.Json j = new Cli.Json().put("event", "msg").put("instance", instance).put("arrivedAt", now)
                .put("status", status).put("mqTopic", mq.getTopic()).put("mqBroker", mq.getBrokerName())
                .put("mqQueueId", mq.getQueueId()).putRaw("message", Cli.message(m))
                .put("thread", Thread.currentThread().getName());
            Cli.emit(j);
            int n = deliveries.incrementAndGet();
            if (expect > 0 && n >= expect) {
                finished.countDown();
            }
        }
    }

    /** Averagely allocates queues and prints every allocation, so a test sees rebalances. */
    static final class Reporting implements AllocateMessageQueueStrategy {
        private final AllocateMessageQueueAveragely inner = new AllocateMessageQueueAveragely();
        private final String instance;

        Reporting(String instance) {
            this.instance = instance;
        }

        @Override
        public List<MessageQueue> allocate(String group, String currentCid, List<MessageQueue> mqAll,
            List<String> cidAll) {
            List<MessageQueue> mine = inner.allocate(group, currentCid, mqAll, cidAll);
            List<String> queues = new ArrayList<>();
            String topic = null;
            for (MessageQueue mq : mine) {
                queues.add(mq.getBrokerName() + ":" + mq.getQueueId());
            }
            if (!mqAll.isEmpty()) {
                topic = mqAll.get(0).getTopic();
            }
            Cli.emit(new Cli.Json().put("event", "allocate").put("at", System.currentTimeMillis())
                .put("instance", instance).put("topic", topic)
                .put("self", currentCid).putList("cids", new ArrayList<>(cidAll)).put("all", mqAll.size())
                .putList("mine", queues));
            return mine;
        }

        @Override
        public String getName() {
            return inner.getName();
        }
    }
}

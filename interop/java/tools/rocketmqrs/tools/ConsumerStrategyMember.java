package rocketmqrs.tools;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragelyByCircle;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueConsistentHash;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * A Java push consumer with a chosen allocation strategy (AVG, AVG_BY_CIRCLE or
 * CONSISTENT_HASH), for the SDK consumer tests that share a group with Java
 * (interop/tests/sdk_consumer_java.rs). Prints the same JSON lines as PushConsume: ready,
 * every allocation, every delivery, done; stops on "stop" or end of standard input.
 */
public final class ConsumerStrategyMember {
    private static final String USAGE = "ConsumerStrategyMember --namesrv ADDR --topic T --group G"
        + " --strategy AVG|AVG_BY_CIRCLE|CONSISTENT_HASH --instance NAME";

    private ConsumerStrategyMember() {
    }

    public static void main(String[] args) throws Exception {
        Cli cli = new Cli(args, USAGE);
        String namesrv = cli.required("namesrv");
        String topic = cli.required("topic");
        String group = cli.required("group");
        String strategy = cli.required("strategy");
        String instance = cli.required("instance");
        AllocateMessageQueueStrategy inner;
        if ("AVG_BY_CIRCLE".equals(strategy)) {
            inner = new AllocateMessageQueueAveragelyByCircle();
        } else if ("CONSISTENT_HASH".equals(strategy)) {
            inner = new AllocateMessageQueueConsistentHash();
        } else {
            inner = new AllocateMessageQueueAveragely();
        }

        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName(instance);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPersistConsumerOffsetInterval(1000);
        consumer.setAllocateMessageQueueStrategy(new Reporting(instance, inner));
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            long now = System.currentTimeMillis();
            MessageQueue mq = ctx.getMessageQueue();
            for (MessageExt m : msgs) {
                Cli.emit(new Cli.Json().put("event", "msg").put("instance", instance).put("arrivedAt", now)
                    .put("status", ConsumeConcurrentlyStatus.CONSUME_SUCCESS.name()).put("mqTopic", mq.getTopic())
                    .put("mqBroker", mq.getBrokerName()).put("mqQueueId", mq.getQueueId())
                    .putRaw("message", Cli.message(m)).put("thread", Thread.currentThread().getName()));
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        Cli.emit(new Cli.Json().put("event", "ready").put("instance", instance)
            .put("clientId", consumer.buildMQClientId()));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.trim().equals("stop")) {
                    break;
                }
            }
        }
        consumer.shutdown();
        Cli.emit(new Cli.Json().put("event", "done").put("instance", instance).put("deliveries", 0)
            .put("reached", true));
        System.exit(0);
    }

    /** Allocates with the chosen strategy and prints every allocation. */
    static final class Reporting implements AllocateMessageQueueStrategy {
        private final AllocateMessageQueueStrategy inner;
        private final String instance;

        Reporting(String instance, AllocateMessageQueueStrategy inner) {
            this.instance = instance;
            this.inner = inner;
        }

        @Override
        public List<MessageQueue> allocate(String group, String currentCid, List<MessageQueue> mqAll,
            List<String> cidAll) {
            List<MessageQueue> mine = inner.allocate(group, currentCid, mqAll, cidAll);
            List<String> queues = new ArrayList<>();
            for (MessageQueue mq : mine) {
                queues.add(mq.getBrokerName() + ":" + mq.getQueueId());
            }
            String topic = mqAll.isEmpty() ? null : mqAll.get(0).getTopic();
            Cli.emit(new Cli.Json().put("event", "allocate").put("at", System.currentTimeMillis())
                .put("instance", instance).put("topic", topic).put("self", currentCid)
                .putList("cids", new ArrayList<>(cidAll)).put("all", mqAll.size()).putList("mine", queues));
            return mine;
        }

        @Override
        public String getName() {
            return inner.getName();
        }
    }
}

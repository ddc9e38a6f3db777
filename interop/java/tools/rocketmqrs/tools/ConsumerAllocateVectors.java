package rocketmqrs.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMachineRoomNearby;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragelyByCircle;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueByMachineRoom;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueConsistentHash;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Prints what Java's allocation strategies give every member for a fixed set of inputs, one line
 * per case and member: {@code case|clientId|topic:broker:queueId,...}. The SDK's allocation tests
 * (sdk/src/consumer/allocate/tests.rs) carry this output as their expected values; the inputs
 * here and there must stay the same.
 */
public final class ConsumerAllocateVectors {
    private ConsumerAllocateVectors() {
    }

    static List<MessageQueue> queues(String topic, String[] brokers, int perBroker) {
        List<MessageQueue> out = new ArrayList<>();
        for (String b : brokers) {
            for (int i = 0; i < perBroker; i++) {
                out.add(new MessageQueue(topic, b, i));
            }
        }
        Collections.sort(out);
        return out;
    }

    static List<String> ids(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("10.0.0." + (i + 1) + "@" + (1000 + i) + "#" + (77 * i));
        }
        Collections.sort(out);
        return out;
    }

    static void run(String name, AllocateMessageQueueStrategy s, List<MessageQueue> mqs, List<String> cids) {
        for (String cid : cids) {
            List<MessageQueue> got = s.allocate("g", cid, new ArrayList<>(mqs), new ArrayList<>(cids));
            StringBuilder sb = new StringBuilder(name).append('|').append(cid).append('|');
            for (int i = 0; i < got.size(); i++) {
                MessageQueue q = got.get(i);
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(q.getTopic()).append(':').append(q.getBrokerName()).append(':').append(q.getQueueId());
            }
            System.out.println(sb);
        }
    }

    public static void main(String[] args) {
        String[] one = {"broker-a"};
        String[] two = {"broker-a", "broker-b"};
        int[][] shapes = {{8, 3}, {3, 5}, {4, 4}, {10, 4}, {1, 1}, {7, 2}};
        for (int[] shape : shapes) {
            List<MessageQueue> mqs = queues("T", one, shape[0]);
            List<String> cids = ids(shape[1]);
            String tag = shape[0] + "x" + shape[1];
            run("avg-" + tag, new AllocateMessageQueueAveragely(), mqs, cids);
            run("circle-" + tag, new AllocateMessageQueueAveragelyByCircle(), mqs, cids);
            run("hash-" + tag, new AllocateMessageQueueConsistentHash(), mqs, cids);
            run("hash3-" + tag, new AllocateMessageQueueConsistentHash(3), mqs, cids);
        }
        List<MessageQueue> mqs2 = queues("TopicTest", two, 4);
        run("avg-2b", new AllocateMessageQueueAveragely(), mqs2, ids(3));
        run("hash-2b", new AllocateMessageQueueConsistentHash(), mqs2, ids(3));

        AllocateMessageQueueByMachineRoom room = new AllocateMessageQueueByMachineRoom();
        room.setConsumeridcs(new HashSet<>(Arrays.asList("hz", "sh")));
        List<MessageQueue> rooms = queues("T", new String[] {"hz@b1", "sh@b2", "bj@b3", "b4", "hz@b5@x"}, 3);
        run("room-3", room, rooms, ids(3));
        run("room-4", room, rooms, ids(4));

        AllocateMachineRoomNearby.MachineRoomResolver resolver = new AllocateMachineRoomNearby.MachineRoomResolver() {
            @Override
            public String brokerDeployIn(MessageQueue mq) {
                return mq.getBrokerName().split("-")[0];
            }

            @Override
            public String consumerDeployIn(String clientID) {
                return clientID.split("-")[0];
            }
        };
        List<MessageQueue> near = queues("T", new String[] {"hz-a", "hz-b", "sh-a", "bj-a"}, 3);
        List<String> nearIds = new ArrayList<>(Arrays.asList("hz-1", "hz-2", "sh-1", "gz-1"));
        Collections.sort(nearIds);
        run("nearby", new AllocateMachineRoomNearby(new AllocateMessageQueueAveragely(), resolver), near, nearIds);
    }
}

package rocketmqrs.tools;

import java.nio.charset.StandardCharsets;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;

/**
 * Sends messages with the real Java client and prints one JSON line per sent message.
 *
 * <p>Arguments: namesrvAddr topic count tags keys [key=value] [bodyPrefix]. Message i has
 * body "bodyPrefix-i" (default prefix "java-msg"), the given tags and keys, and the given user
 * property. The body is ASCII so it needs no escaping in the output.
 */
public final class JavaProducer {
    private JavaProducer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: JavaProducer namesrv topic count tags keys [k=v] [bodyPrefix]");
            System.exit(2);
        }
        String namesrv = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        String tags = args[3];
        String keys = args[4];
        String propKey = null;
        String propValue = null;
        if (args.length > 5 && !args[5].isEmpty()) {
            int eq = args[5].indexOf('=');
            if (eq <= 0) {
                System.err.println("property must be key=value: " + args[5]);
                System.exit(2);
            }
            propKey = args[5].substring(0, eq);
            propValue = args[5].substring(eq + 1);
        }
        String prefix = args.length > 6 ? args[6] : "java-msg";

        DefaultMQProducer producer = new DefaultMQProducer("interop_java_producer_" + ProcessHandle.current().pid());
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("interop-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10000);
        producer.start();
        try {
            for (int i = 0; i < count; i++) {
                Message msg = new Message(topic, tags, keys, (prefix + "-" + i).getBytes(StandardCharsets.UTF_8));
                if (propKey != null) {
                    msg.putUserProperty(propKey, propValue);
                }
                SendResult r = producer.send(msg);
                StringBuilder sb = new StringBuilder();
                sb.append('{');
                field(sb, "status", r.getSendStatus().name()).append(',');
                field(sb, "msgId", r.getMsgId()).append(',');
                field(sb, "offsetMsgId", r.getOffsetMsgId()).append(',');
                field(sb, "brokerName", r.getMessageQueue().getBrokerName()).append(',');
                sb.append("\"queueId\":").append(r.getMessageQueue().getQueueId()).append(',');
                sb.append("\"queueOffset\":").append(r.getQueueOffset()).append(',');
                field(sb, "body", prefix + "-" + i);
                sb.append('}');
                System.out.println(sb);
            }
        } finally {
            producer.shutdown();
        }
        System.out.flush();
        System.exit(0);
    }

    private static StringBuilder field(StringBuilder sb, String name, String value) {
        sb.append('"').append(name).append("\":");
        if (value == null) {
            return sb.append("null");
        }
        sb.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"');
    }
}

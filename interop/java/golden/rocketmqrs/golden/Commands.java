package rocketmqrs.golden;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import @PROTO@.RequestCode;
import @PROTO@.ResponseCode;
import @PROTO@.header.PullMessageRequestHeader;
import @PROTO@.header.SendMessageRequestHeader;
import @PROTO@.header.SendMessageRequestHeaderV2;
import @PROTO@.header.SendMessageResponseHeader;
import @PROTO@.header.namesrv.GetRouteInfoRequestHeader;
import @PROTO@.header.NotifyConsumerIdsChangedRequestHeader;
import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;

/** Whole remoting frames as RemotingCommand.encode() writes them, in both serializations. */
final class Commands {
    private Commands() {
    }

    /** Builds a fresh command each time: encoding mutates extFields, so never reuse one. */
    interface Builder {
        RemotingCommand build() throws Exception;
    }

    static final String PROPERTIES = "KEYS\u0001order-1 order-2\u0002TAGS\u0001TagA\u0002WAIT\u0001true"
        + "\u0002UNIQ_KEY\u00017F0000010001B4AAC69677D8D8000000\u0002colour\u0001bl\u00e9u \"q\" \\s";

    static void generate(GenerateGolden g) throws Exception {
        for (SerializeType st : new SerializeType[] {SerializeType.JSON, SerializeType.ROCKETMQ}) {
            String suffix = st == SerializeType.JSON ? "json" : "rocketmq";
            emit(g, "cmd_send_v2_" + suffix, st, Commands::sendV2);
            emit(g, "cmd_pull_" + suffix, st, Commands::pull);
            emit(g, "cmd_heartbeat_" + suffix, st, Commands::heartbeat);
            emit(g, "cmd_route_" + suffix, st, Commands::route);
            emit(g, "cmd_send_response_" + suffix, st, Commands::sendResponse);
            emit(g, "cmd_error_response_" + suffix, st, Commands::errorResponse);
            emit(g, "cmd_oneway_" + suffix, st, Commands::oneway);
            emit(g, "cmd_no_ext_" + suffix, st, Commands::noExt);
        }
        // 5.x's Netty encoder writes headers with fastEncodeHeader, which for headers that
        // implement FastCodesHeader puts their fields first in a fixed order (not HashMap
        // order). Recorded when that method exists and the bytes differ from encode().
        emitWire(g, "cmd_send_v2_rocketmq_wire", Commands::sendV2);
        emitWire(g, "cmd_pull_rocketmq_wire", Commands::pull);
    }

    private static void emit(GenerateGolden g, String name, SerializeType st, Builder b) throws Exception {
        RemotingCommand cmd = b.build();
        cmd.setSerializeTypeCurrentRPC(st);
        ByteBuffer buf = cmd.encode();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        g.add(name, "command", "bin", bytes, true, meta(cmd, bytes));
    }

    private static void emitWire(GenerateGolden g, String name, Builder b) throws Exception {
        Method fast;
        Class<?> byteBufClass;
        try {
            byteBufClass = Class.forName("io.netty.buffer.ByteBuf");
            fast = RemotingCommand.class.getMethod("fastEncodeHeader", byteBufClass);
        } catch (ReflectiveOperationException e) {
            return;
        }
        RemotingCommand viaEncode = b.build();
        viaEncode.setSerializeTypeCurrentRPC(SerializeType.ROCKETMQ);
        ByteBuffer eb = viaEncode.encode();
        byte[] encoded = new byte[eb.remaining()];
        eb.get(encoded);

        RemotingCommand cmd = b.build();
        cmd.setSerializeTypeCurrentRPC(SerializeType.ROCKETMQ);
        Object out = Class.forName("io.netty.buffer.Unpooled").getMethod("buffer").invoke(null);
        fast.invoke(cmd, out);
        if (cmd.getBody() != null) {
            byteBufClass.getMethod("writeBytes", byte[].class).invoke(out, (Object) cmd.getBody());
        }
        int n = (Integer) byteBufClass.getMethod("readableBytes").invoke(out);
        byte[] bytes = new byte[n];
        byteBufClass.getMethod("readBytes", byte[].class).invoke(out, (Object) bytes);
        if (java.util.Arrays.equals(bytes, encoded)) {
            return;
        }
        // The fast path leaves extFields empty; the decoded logical fields are those of encode().
        Json.Obj meta = meta(viaEncode, bytes);
        meta.put("note", "header written by RemotingCommand.fastEncodeHeader (5.x Netty encoder path)");
        g.add(name, "command", "bin", bytes, true, meta);
    }

    static Json.Obj meta(RemotingCommand cmd, byte[] frame) {
        int headerField = ByteBuffer.wrap(frame, 4, 4).getInt();
        Map<String, String> ext = new LinkedHashMap<>();
        HashMap<String, String> fields = cmd.getExtFields();
        if (fields != null) {
            ext.putAll(fields);
        }
        byte[] body = cmd.getBody();
        return Json.obj()
            .put("code", cmd.getCode())
            .put("flag", cmd.getFlag())
            .put("opaque", cmd.getOpaque())
            .put("language", cmd.getLanguage().name())
            .put("version", cmd.getVersion())
            .put("remark", cmd.getRemark())
            .put("extFields", ext)
            .put("extFieldsPresent", fields != null)
            .put("bodyLength", body == null ? 0 : body.length)
            .put("body", body == null ? null : body)
            .put("serializeType", cmd.getSerializeTypeCurrentRPC().name())
            .put("serializeByte", (headerField >>> 24) & 0xFF)
            .put("headerLength", headerField & 0xFFFFFF)
            .put("totalLength", ByteBuffer.wrap(frame, 0, 4).getInt());
    }

    /** Calls a setter by name if this release's class has it (fields added in 5.x). */
    static void trySet(Object target, String setter, Class<?> type, Object value) {
        try {
            target.getClass().getMethod(setter, type).invoke(target, value);
        } catch (ReflectiveOperationException e) {
            // not present in this release
        }
    }

    static RemotingCommand sendV2() throws Exception {
        SendMessageRequestHeader h = new SendMessageRequestHeader();
        h.setProducerGroup("golden_producer_group");
        h.setTopic("GoldenTopic");
        h.setDefaultTopic("TBW102");
        h.setDefaultTopicQueueNums(4);
        h.setQueueId(2);
        h.setSysFlag(0);
        h.setBornTimestamp(1700000000123L);
        h.setFlag(0);
        h.setProperties(PROPERTIES);
        h.setReconsumeTimes(0);
        h.setUnitMode(false);
        h.setBatch(false);
        h.setMaxReconsumeTimes(16);
        trySet(h, "setBrokerName", String.class, "broker-a");
        CommandCustomHeader v2 = SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2(h);
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, v2);
        cmd.setOpaque(42);
        cmd.setBody("hello golden \u00e9\u00e8".getBytes(StandardCharsets.UTF_8));
        return cmd;
    }

    static RemotingCommand pull() throws Exception {
        PullMessageRequestHeader h = new PullMessageRequestHeader();
        h.setConsumerGroup("golden_consumer_group");
        h.setTopic("GoldenTopic");
        h.setQueueId(1);
        h.setQueueOffset(1234567890123L);
        h.setMaxMsgNums(32);
        h.setSysFlag(7);
        h.setCommitOffset(1234567890000L);
        h.setSuspendTimeoutMillis(15000L);
        h.setSubscription("TagA || TagB");
        h.setSubVersion(1700000000456L);
        h.setExpressionType("TAG");
        trySet(h, "setMaxMsgBytes", Integer.class, 1048576);
        trySet(h, "setBrokerName", String.class, "broker-a");
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, h);
        cmd.setOpaque(43);
        return cmd;
    }

    static RemotingCommand heartbeat() throws Exception {
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, null);
        cmd.setOpaque(44);
        cmd.setBody(Bodies.heartbeatData().encode());
        return cmd;
    }

    static RemotingCommand route() throws Exception {
        GetRouteInfoRequestHeader h = new GetRouteInfoRequestHeader();
        h.setTopic("GoldenTopic");
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, h);
        cmd.setOpaque(45);
        return cmd;
    }

    static RemotingCommand sendResponse() throws Exception {
        RemotingCommand cmd = RemotingCommand.createResponseCommand(SendMessageResponseHeader.class);
        SendMessageResponseHeader h = (SendMessageResponseHeader) cmd.readCustomHeader();
        h.setMsgId("7F00000100002A9F0000000000001F40");
        h.setQueueId(2);
        h.setQueueOffset(77L);
        h.setTransactionId("7F0000010001B4AAC69677D8D8000000");
        cmd.setCode(ResponseCode.SUCCESS);
        cmd.setRemark(null);
        cmd.setOpaque(42);
        cmd.addExtField("MSG_REGION", "DefaultRegion");
        cmd.addExtField("TRACE_ON", "true");
        return cmd;
    }

    static RemotingCommand errorResponse() throws Exception {
        RemotingCommand cmd = RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST,
            "topic \"Gold\\en\" not exist, \u4e3b\u9898\u4e0d\u5b58\u5728 \u00e9\t/ \u00ff\u20ac\ud83d\ude00 end");
        cmd.setOpaque(46);
        return cmd;
    }

    static RemotingCommand oneway() throws Exception {
        NotifyConsumerIdsChangedRequestHeader h = new NotifyConsumerIdsChangedRequestHeader();
        h.setConsumerGroup("golden_consumer_group");
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, h);
        cmd.markOnewayRPC();
        cmd.setOpaque(47);
        return cmd;
    }

    static RemotingCommand noExt() throws Exception {
        RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CLUSTER_INFO, null);
        cmd.setOpaque(48);
        return cmd;
    }
}

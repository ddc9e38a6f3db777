package rocketmqrs.golden;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.compression.CompressionType;
import org.apache.rocketmq.common.compression.CompressorFactory;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageBatch;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;

/** Stored message records, batches, message ids and compressed bodies. */
final class Messages {
    private Messages() {
    }

    static final String TEXT = "RocketMQ golden text: the quick brown fox jumps over the lazy dog. "
        + "\u00e9\u00e8\u00ea \u4e2d\u6587 \ud83d\ude80 repeated repeated repeated repeated repeated repeated.";

    static InetSocketAddress addr(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    static MessageExt message(int i, boolean v6) throws Exception {
        MessageExt m = new MessageExt();
        m.setTopic("GoldenTopic");
        m.setBody(("golden body " + i + " \u00e9").getBytes(StandardCharsets.UTF_8));
        m.setTags("TagA");
        m.setKeys("key-" + i + " key-x");
        m.putUserProperty("colour", "bl\u00e9u");
        m.putUserProperty("index", Integer.toString(i));
        MessageAccessor.putProperty(m, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "7F0000010001B4AAC69677D8D800000" + i);
        m.setQueueId(3);
        m.setFlag(0);
        m.setQueueOffset(100L + i);
        m.setCommitLogOffset(8192L + 300L * i);
        m.setBornTimestamp(1700000000000L + i);
        m.setStoreTimestamp(1700000000500L + i);
        m.setReconsumeTimes(i);
        m.setPreparedTransactionOffset(0L);
        int sysFlag = 0;
        if (v6) {
            sysFlag |= MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG;
            m.setBornHost(addr("2001:db8::1", 50001));
            m.setStoreHost(addr("fe80::1:2:3:4", 10911));
        } else {
            m.setBornHost(addr("10.0.0." + (1 + i), 50001 + i));
            m.setStoreHost(addr("192.168.1.20", 10911));
        }
        m.setSysFlag(sysFlag);
        m.setBodyCRC(UtilAll.crc32(m.getBody()));
        return m;
    }

    static String hostString(InetSocketAddress a) {
        String ip = a.getAddress().getHostAddress();
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + a.getPort();
    }

    static Json.Obj meta(MessageExt m, byte[] storedBody) {
        Map<String, String> props = new LinkedHashMap<>(m.getProperties());
        InetSocketAddress store = (InetSocketAddress) m.getStoreHost();
        return Json.obj()
            .put("topic", m.getTopic())
            .put("queueId", m.getQueueId())
            .put("flag", m.getFlag())
            .put("queueOffset", m.getQueueOffset())
            .put("commitLogOffset", m.getCommitLogOffset())
            .put("sysFlag", m.getSysFlag())
            .put("bornTimestamp", m.getBornTimestamp())
            .put("bornHost", hostString((InetSocketAddress) m.getBornHost()))
            .put("storeTimestamp", m.getStoreTimestamp())
            .put("storeHost", hostString(store))
            .put("reconsumeTimes", m.getReconsumeTimes())
            .put("preparedTransactionOffset", m.getPreparedTransactionOffset())
            .put("bodyCRC", m.getBodyCRC())
            .put("properties", props)
            .put("propertiesString", MessageDecoder.messageProperties2String(m.getProperties()))
            .put("body", storedBody)
            .put("msgId", MessageDecoder.createMessageId(store, m.getCommitLogOffset()));
    }

    static void generate(GenerateGolden g) throws Exception {
        // Single records, IPv4 and IPv6.
        MessageExt v4 = message(0, false);
        g.add("msg_ipv4", "message", "bin", MessageDecoder.encode(v4, false), true, meta(v4, v4.getBody()));
        MessageExt v6 = message(1, true);
        g.add("msg_ipv6", "message", "bin", MessageDecoder.encode(v6, false), true, meta(v6, v6.getBody()));

        // Compressed bodies as the broker stores them: the producer compressed the body and
        // set the flags; the record carries the compressed bytes and their CRC.
        compressedRecord(g, "msg_zlib", CompressionType.ZLIB,
            MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_ZLIB_TYPE);
        compressedRecord(g, "msg_zlib_legacy_flag", CompressionType.ZLIB, MessageSysFlag.COMPRESSED_FLAG);
        compressedRecord(g, "msg_lz4", CompressionType.LZ4,
            MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.COMPRESSION_LZ4_TYPE);

        // Three records back to back, like a PULL_MESSAGE response body.
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<Object> metas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            MessageExt m = message(i, i == 2);
            all.write(MessageDecoder.encode(m, false));
            metas.add(meta(m, m.getBody()));
        }
        g.add("msgs_three", "messages", "bin", all.toByteArray(), true, Json.obj().put("messages", metas));

        batch(g);
        msgIds(g);
        uniqIds(g);
        compressed(g);
    }

    static void compressedRecord(GenerateGolden g, String name, CompressionType type, int flags) throws Exception {
        MessageExt m = message(5, false);
        byte[] plain = TEXT.getBytes(StandardCharsets.UTF_8);
        byte[] packed = CompressorFactory.getCompressor(type).compress(plain, 5);
        m.setBody(packed);
        m.setSysFlag(m.getSysFlag() | flags);
        m.setBodyCRC(UtilAll.crc32(packed));
        Json.Obj meta = meta(m, packed)
            .put("plainBody", plain)
            .put("compression", type.name());
        // Compressor output may differ between library builds, so only the decode side is exact.
        g.add(name, "message", "bin", MessageDecoder.encode(m, false), true, meta);
    }

    static void batch(GenerateGolden g) throws Exception {
        List<Message> list = new ArrayList<>();
        List<Object> metas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Message m = new Message("GoldenTopic", "TagB", "bk-" + i,
                ("batch body " + i).getBytes(StandardCharsets.UTF_8));
            m.putUserProperty("seq", Integer.toString(i));
            // The producer gives each message of a batch its unique id before encoding.
            MessageAccessor.putProperty(m, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "7F0000010001B4AAC69677D8D80000B" + i);
            m.setFlag(i);
            list.add(m);
            metas.add(Json.obj()
                .put("topic", m.getTopic())
                .put("flag", m.getFlag())
                .put("properties", new LinkedHashMap<>(m.getProperties()))
                .put("propertiesString", MessageDecoder.messageProperties2String(m.getProperties()))
                .put("body", m.getBody()));
        }
        MessageBatch batch = MessageBatch.generateFromList(list);
        g.add("batch_three", "batch", "bin", batch.encode(), true, Json.obj().put("messages", metas));
    }

    static void msgIds(GenerateGolden g) throws Exception {
        Object[][] cases = {
            {"msgid_ipv4", "192.168.1.20", 10911, 8192L},
            {"msgid_ipv4_big_offset", "127.0.0.1", 10911, 0x123456789ABCL},
            {"msgid_ipv6", "fe80::1:2:3:4", 10911, 16384L},
        };
        for (Object[] c : cases) {
            InetSocketAddress a = addr((String) c[1], (Integer) c[2]);
            String id = MessageDecoder.createMessageId(a, (Long) c[3]);
            g.add((String) c[0], "msg_id", "txt", id.getBytes(StandardCharsets.US_ASCII), true,
                Json.obj().put("host", a.getAddress().getHostAddress()).put("port", c[2]).put("offset", c[3])
                    .put("text", id));
        }
    }

    static void uniqIds(GenerateGolden g) throws Exception {
        for (int i = 0; i < 3; i++) {
            String id = MessageClientIDSetter.createUniqID();
            byte[] ip = MessageClientIDSetter.getIPFromID(id);
            List<Object> ipBytes = new ArrayList<>();
            for (byte b : ip) {
                ipBytes.add(b & 0xFF);
            }
            Json.Obj meta = Json.obj()
                .put("text", id)
                .put("ip", MessageClientIDSetter.getIPStrFromID(id))
                .put("ipBytes", ipBytes)
                .put("nearlyTimeMillis", MessageClientIDSetter.getNearlyTimeFromID(id).getTime())
                .put("pid", MessageClientIDSetter.getPidFromID(id));
            g.add("uniqid_" + i, "uniq_id", "txt", id.getBytes(StandardCharsets.US_ASCII), false, meta);
        }
    }

    static void compressed(GenerateGolden g) throws Exception {
        byte[] plain = TEXT.getBytes(StandardCharsets.UTF_8);
        for (CompressionType t : new CompressionType[] {CompressionType.ZLIB, CompressionType.LZ4,
            CompressionType.ZSTD}) {
            byte[] packed = CompressorFactory.getCompressor(t).compress(plain, 5);
            g.add("compressed_" + t.name().toLowerCase(), "compressed", "bin", packed, false,
                Json.obj().put("type", t.name()).put("level", 5).put("plain", TEXT));
        }
    }
}

package rocketmqrs.golden;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import @DATAVERSION@.DataVersion;
import @ADMIN@.ConsumeStats;
import @ADMIN@.OffsetWrapper;
import @ADMIN@.TopicOffset;
import @ADMIN@.TopicStatsTable;
import @PROTO@.body.ClusterInfo;
import @PROTO@.body.Connection;
import @PROTO@.body.ConsumeStatus;
import @PROTO@.body.ConsumerConnection;
import @PROTO@.body.ConsumerRunningInfo;
import @PROTO@.body.KVTable;
import @PROTO@.body.LockBatchRequestBody;
import @PROTO@.body.ProcessQueueInfo;
import @PROTO@.body.ResetOffsetBody;
import @PROTO@.body.SubscriptionGroupWrapper;
import @PROTO@.body.TopicConfigSerializeWrapper;
import @PROTO@.body.TopicList;
import @PROTO@.heartbeat.ConsumeType;
import @PROTO@.heartbeat.ConsumerData;
import @PROTO@.heartbeat.HeartbeatData;
import @PROTO@.heartbeat.MessageModel;
import @PROTO@.heartbeat.ProducerData;
import @PROTO@.heartbeat.SubscriptionData;
import @PROTO@.route.BrokerData;
import @PROTO@.route.QueueData;
import @PROTO@.route.TopicRouteData;
import @SUBSCRIPTION@.SubscriptionGroupConfig;
import org.apache.rocketmq.remoting.protocol.LanguageCode;
import org.apache.rocketmq.remoting.protocol.RemotingSerializable;

/** JSON bodies as RemotingSerializable.encode() (fastjson) writes them. */
final class Bodies {
    private Bodies() {
    }

    static MessageQueue mq(String topic, String broker, int id) {
        return new MessageQueue(topic, broker, id);
    }

    static SubscriptionData tagSub() {
        SubscriptionData s = new SubscriptionData();
        s.setTopic("GoldenTopic");
        s.setSubString("TagA || TagB");
        s.getTagsSet().add("TagA");
        s.getTagsSet().add("TagB");
        s.getCodeSet().add("TagA".hashCode());
        s.getCodeSet().add("TagB".hashCode());
        s.setSubVersion(1700000000111L);
        s.setExpressionType("TAG");
        return s;
    }

    static SubscriptionData sqlSub() {
        SubscriptionData s = new SubscriptionData();
        s.setTopic("SqlTopic");
        s.setSubString("a > 5 AND b = 'x'");
        s.setSubVersion(1700000000222L);
        s.setExpressionType("SQL92");
        return s;
    }

    static HeartbeatData heartbeatData() {
        HeartbeatData hb = new HeartbeatData();
        hb.setClientID("127.0.0.1@12345#golden");
        ProducerData p = new ProducerData();
        p.setGroupName("golden_producer_group");
        hb.getProducerDataSet().add(p);
        ConsumerData c = new ConsumerData();
        c.setGroupName("golden_consumer_group");
        c.setConsumeType(ConsumeType.CONSUME_PASSIVELY);
        c.setMessageModel(MessageModel.CLUSTERING);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        c.getSubscriptionDataSet().add(tagSub());
        c.getSubscriptionDataSet().add(sqlSub());
        c.setUnitMode(false);
        hb.getConsumerDataSet().add(c);
        return hb;
    }

    static DataVersion dataVersion() {
        DataVersion dv = new DataVersion();
        dv.setTimestamp(1700000000333L);
        dv.setCounter(new AtomicLong(7));
        Commands.trySet(dv, "setStateVersion", long.class, 2L);
        return dv;
    }

    static void emit(GenerateGolden g, String name, RemotingSerializable body, Json.Obj meta) throws Exception {
        byte[] bytes = body.encode();
        if (meta == null) {
            meta = Json.obj();
        }
        meta.put("class", body.getClass().getSimpleName());
        meta.put("text", new String(bytes, StandardCharsets.UTF_8));
        g.add(name, "json", "json", bytes, true, meta);
    }

    static void generate(GenerateGolden g) throws Exception {
        // TopicRouteData
        TopicRouteData route = new TopicRouteData();
        route.setOrderTopicConf(null);
        List<QueueData> qds = new ArrayList<>();
        QueueData qd = new QueueData();
        qd.setBrokerName("broker-a");
        qd.setReadQueueNums(4);
        qd.setWriteQueueNums(4);
        qd.setPerm(6);
        qd.setTopicSysFlag(0);
        qds.add(qd);
        route.setQueueDatas(qds);
        List<BrokerData> bds = new ArrayList<>();
        HashMap<Long, String> addrs = new HashMap<>();
        addrs.put(0L, "127.0.0.1:10911");
        addrs.put(1L, "127.0.0.1:10921");
        bds.add(new BrokerData("DefaultCluster", "broker-a", addrs));
        route.setBrokerDatas(bds);
        route.setFilterServerTable(new HashMap<String, List<String>>());
        emit(g, "json_topic_route", route, Json.obj()
            .put("queueDatas", Json.list(Json.obj().put("brokerName", "broker-a").put("readQueueNums", 4)
                .put("writeQueueNums", 4).put("perm", 6).put("topicSysFlag", 0)))
            .put("brokerDatas", Json.list(Json.obj().put("cluster", "DefaultCluster").put("brokerName", "broker-a")
                .put("brokerAddrs", Json.obj().put("0", "127.0.0.1:10911").put("1", "127.0.0.1:10921")))));

        emit(g, "json_heartbeat", heartbeatData(), null);

        // ClusterInfo: brokerAddrs is keyed by Long and fastjson writes those keys unquoted.
        ClusterInfo ci = new ClusterInfo();
        HashMap<String, BrokerData> table = new HashMap<>();
        table.put("broker-a", new BrokerData("DefaultCluster", "broker-a", addrs));
        HashMap<Long, String> addrsB = new HashMap<>();
        addrsB.put(0L, "127.0.0.1:20911");
        table.put("broker-b", new BrokerData("DefaultCluster", "broker-b", addrsB));
        ci.setBrokerAddrTable(table);
        HashMap<String, Set<String>> clusters = new HashMap<>();
        clusters.put("DefaultCluster", new HashSet<>(java.util.Arrays.asList("broker-a", "broker-b")));
        ci.setClusterAddrTable(clusters);
        emit(g, "json_cluster_info", ci, null);

        // ConsumeStats and TopicStatsTable: maps keyed by MessageQueue objects.
        ConsumeStats cs = new ConsumeStats();
        for (int i = 0; i < 2; i++) {
            OffsetWrapper ow = new OffsetWrapper();
            ow.setBrokerOffset(100 + i);
            ow.setConsumerOffset(90 + i);
            ow.setLastTimestamp(1700000000444L + i);
            cs.getOffsetTable().put(mq("GoldenTopic", "broker-a", i), ow);
        }
        cs.setConsumeTps(12.5);
        emit(g, "json_consume_stats", cs, null);

        TopicStatsTable ts = new TopicStatsTable();
        for (int i = 0; i < 2; i++) {
            TopicOffset to = new TopicOffset();
            to.setMinOffset(i);
            to.setMaxOffset(1000 + i);
            to.setLastUpdateTimestamp(1700000000555L + i);
            ts.getOffsetTable().put(mq("GoldenTopic", "broker-a", i), to);
        }
        emit(g, "json_topic_stats", ts, null);

        LockBatchRequestBody lock = new LockBatchRequestBody();
        lock.setConsumerGroup("golden_consumer_group");
        lock.setClientId("127.0.0.1@12345#golden");
        Set<MessageQueue> mqs = new HashSet<>();
        mqs.add(mq("GoldenTopic", "broker-a", 0));
        mqs.add(mq("GoldenTopic", "broker-a", 1));
        lock.setMqSet(mqs);
        emit(g, "json_lock_batch", lock, null);

        ResetOffsetBody reset = new ResetOffsetBody();
        HashMap<MessageQueue, Long> resetTable = new HashMap<>();
        resetTable.put(mq("GoldenTopic", "broker-a", 0), 10L);
        resetTable.put(mq("GoldenTopic", "broker-a", 1), 20L);
        reset.setOffsetTable(resetTable);
        emit(g, "json_reset_offset", reset, null);

        KVTable kv = new KVTable();
        HashMap<String, String> kvs = new HashMap<>();
        kvs.put("brokerName", "broker-a");
        kvs.put("msgPutTotalTodayNow", "42");
        kvs.put("quote\"back\\slash", "\u00e9\u4e2d");
        kv.setTable(kvs);
        emit(g, "json_kv_table", kv, null);

        TopicList tl = new TopicList();
        tl.getTopicList().add("GoldenTopic");
        tl.getTopicList().add("TBW102");
        tl.getTopicList().add("%RETRY%golden_consumer_group");
        tl.setBrokerAddr("127.0.0.1:10911");
        emit(g, "json_topic_list", tl, null);

        ConsumerConnection cc = new ConsumerConnection();
        Connection conn = new Connection();
        conn.setClientId("127.0.0.1@12345#golden");
        conn.setClientAddr("127.0.0.1:54321");
        conn.setLanguage(LanguageCode.JAVA);
        conn.setVersion(399);
        cc.getConnectionSet().add(conn);
        cc.getSubscriptionTable().put("GoldenTopic", tagSub());
        cc.setConsumeType(ConsumeType.CONSUME_ACTIVELY);
        cc.setMessageModel(MessageModel.BROADCASTING);
        cc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        emit(g, "json_consumer_connection", cc, null);

        emit(g, "json_consumer_running_info", runningInfo(), null);

        TopicConfigSerializeWrapper tcw = new TopicConfigSerializeWrapper();
        ConcurrentHashMap<String, TopicConfig> topics = new ConcurrentHashMap<>();
        TopicConfig tc = new TopicConfig("GoldenTopic", 4, 4, 6);
        topics.put("GoldenTopic", tc);
        topics.put("TBW102", new TopicConfig("TBW102", 8, 8, 7));
        tcw.setTopicConfigTable(topics);
        tcw.setDataVersion(dataVersion());
        emit(g, "json_topic_config_wrapper", tcw, null);

        SubscriptionGroupWrapper sgw = new SubscriptionGroupWrapper();
        ConcurrentHashMap<String, SubscriptionGroupConfig> groups = new ConcurrentHashMap<>();
        SubscriptionGroupConfig sg = new SubscriptionGroupConfig();
        sg.setGroupName("golden_consumer_group");
        sg.setRetryMaxTimes(8);
        groups.put("golden_consumer_group", sg);
        sgw.setSubscriptionGroupTable(groups);
        sgw.setDataVersion(dataVersion());
        emit(g, "json_subscription_group_wrapper", sgw, null);
    }

    static ConsumerRunningInfo runningInfo() {
        ConsumerRunningInfo info = new ConsumerRunningInfo();
        Properties props = new Properties();
        props.put("PROP_CONSUME_TYPE", "CONSUME_PASSIVELY");
        props.put("PROP_CLIENT_VERSION", "V4_9_8");
        props.put("PROP_CONSUMER_START_TIMESTAMP", "1700000000666");
        info.setProperties(props);
        TreeSet<SubscriptionData> subs = new TreeSet<>();
        subs.add(tagSub());
        info.setSubscriptionSet(subs);
        TreeMap<MessageQueue, ProcessQueueInfo> mqTable = new TreeMap<>();
        ProcessQueueInfo pq = new ProcessQueueInfo();
        pq.setCommitOffset(91);
        pq.setCachedMsgMinOffset(91);
        pq.setCachedMsgMaxOffset(99);
        pq.setCachedMsgCount(9);
        pq.setCachedMsgSizeInMiB(1);
        pq.setLastPullTimestamp(1700000000777L);
        pq.setLastConsumeTimestamp(1700000000888L);
        mqTable.put(mq("GoldenTopic", "broker-a", 0), pq);
        info.setMqTable(mqTable);
        TreeMap<String, ConsumeStatus> status = new TreeMap<>();
        ConsumeStatus st = new ConsumeStatus();
        st.setPullRT(1.5);
        st.setPullTPS(100.25);
        st.setConsumeRT(2.0);
        st.setConsumeOKTPS(99.0);
        st.setConsumeFailedTPS(0.0);
        st.setConsumeFailedMsgs(3);
        status.put("GoldenTopic", st);
        info.setStatusTable(status);
        info.setJstack("\"main\" #1 prio=5\n\tat Golden.run(Golden.java:1)\n");
        return info;
    }
}

// The Java counterpart of examples/consumer_bench.rs: one DefaultMQPushConsumer set up as
// the benchmark Consumer of rocketmq-example sets it up (ROCKETMQ binary headers, 20 consume
// threads, AllocateMessageQueueAveragely, subscription "*", one message per listener call,
// the message counted and CONSUME_SUCCESS returned), but recording every message's
// born-to-consume (B2C) and store-to-consume (S2C) latency in a histogram of 0.1 ms buckets
// (the clock read in microseconds against the messages' millisecond timestamps, which
// over-states each latency by up to 1 ms, as for the Rust program), so p50/p99 can be compared.
// Prints one line in the same format as the Rust program.
//
// Arguments: namesrv topic group first|last warmup-s duration-s expect [threads [start-at [histogram-out]]]
//   expect > 0: drain mode, measured from the first message until `expect` messages were
//   consumed (or duration-s passed); expect = 0: live mode, warmup-s (or until the
//   wall-clock start-at, Unix ms, when given and not 0) then duration-s. histogram-out, when
//   given, is a file both histograms are written to (as consumer_bench.rs --histogram-out).
// Environment: BENCH_READY_FILE, when set, is created once the rebalance has given the
//   consumer its first queues (so a script can start the producer only then).
//
// Compiled and run by examples/bench/consumer-bench.sh against the cached Java client jars.

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

public class JavaConsumerBench {
    /** Latencies below FINE_LIMIT_US have a bucket of FINE_US each; above, one per ms. */
    static final long FINE_US = 100;
    static final long FINE_LIMIT_US = 100_000;
    static final int FINE_BUCKETS = (int) (FINE_LIMIT_US / FINE_US);
    /** The last bucket holds everything above about 131 s. */
    static final int BUCKETS = FINE_BUCKETS + (1 << 17);

    /**
     * A histogram of microseconds (0.1 ms buckets below 100 ms, 1 ms above): count, sum,
     * max, and percentiles by bucket, the same as the Rust program's.
     */
    static final class Histogram {
        final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
        final LongAdder sum = new LongAdder();
        final java.util.concurrent.atomic.AtomicLong max = new java.util.concurrent.atomic.AtomicLong();

        static int bucket(long us) {
            long b = us < FINE_LIMIT_US ? us / FINE_US : FINE_BUCKETS + (us - FINE_LIMIT_US) / 1000;
            return (int) Math.min(b, BUCKETS - 1);
        }

        /** The smallest latency of bucket i, in milliseconds. */
        static double floorMs(int i) {
            return i < FINE_BUCKETS ? i * FINE_US / 1000.0 : FINE_LIMIT_US / 1000 + (i - FINE_BUCKETS);
        }

        void record(long us) {
            long v = Math.max(0, us);
            counts.incrementAndGet(bucket(v));
            sum.add(v);
            long prev = max.get();
            while (v > prev && !max.compareAndSet(prev, v)) {
                prev = max.get();
            }
        }

        long total() {
            long n = 0;
            for (int i = 0; i < BUCKETS; i++) {
                n += counts.get(i);
            }
            return n;
        }

        /** The floor (ms) of the smallest bucket with at least `fraction` of the samples at or below it. */
        double percentile(double fraction) {
            long n = total();
            if (n == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(n * fraction));
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += counts.get(i);
                if (seen >= rank) {
                    return floorMs(i);
                }
            }
            return floorMs(BUCKETS - 1);
        }

        double averageMs() {
            long n = total();
            return n == 0 ? 0 : sum.doubleValue() / n / 1000.0;
        }

        double maxMs() {
            return max.get() / 1000.0;
        }

        /** Appends the histogram as the Rust program dumps it: a sum/max line, then every non-empty bucket. */
        void dump(String name, StringBuilder out) {
            out.append(name).append(" sum ").append(sum.sum()).append(" max ").append(max.get()).append('\n');
            for (int i = 0; i < BUCKETS; i++) {
                long c = counts.get(i);
                if (c > 0) {
                    out.append(name).append(' ').append(i).append(' ').append(c).append('\n');
                }
            }
        }
    }

    /**
     * Time this process's threads spent runnable but waiting for a CPU (ns), and how many
     * times they were put on a CPU, from /proc/self/task/N/schedstat (Linux), as the Rust
     * program reads it.
     */
    static long[] runQueue() {
        long[] total = new long[2];
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return total;
        }
        for (java.io.File task : tasks) {
            try {
                String[] f = new String(java.nio.file.Files.readAllBytes(
                    new java.io.File(task, "schedstat").toPath())).trim().split("\\s+");
                total[0] += Long.parseLong(f[1]);
                total[1] += Long.parseLong(f[2]);
            } catch (Exception e) {
                // A thread that ended meanwhile.
            }
        }
        return total;
    }

    /** Wall-clock time in microseconds (java.time.Instant has microsecond resolution on Linux). */
    static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("rocketmq.serialize.type", "ROCKETMQ");
        String namesrv = args[0];
        String topic = args[1];
        String group = args[2];
        boolean first = args[3].equals("first");
        long warmupMs = Long.parseLong(args[4]) * 1000;
        long durationMs = Long.parseLong(args[5]) * 1000;
        long expect = Long.parseLong(args[6]);
        int threads = args.length > 7 ? Integer.parseInt(args[7]) : 20;
        long startAt = args.length > 8 ? Long.parseLong(args[8]) : 0;
        String histogramOut = args.length > 9 ? args[9] : null;

        AtomicBoolean measuring = new AtomicBoolean(expect > 0);
        LongAdder total = new LongAdder();
        LongAdder count = new LongAdder();
        Histogram b2c = new Histogram();
        Histogram s2c = new Histogram();

        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setAllocateMessageQueueStrategy(new AllocateMessageQueueAveragely());
        consumer.setNamesrvAddr(namesrv);
        consumer.setConsumeThreadMin(threads);
        consumer.setConsumeThreadMax(threads);
        consumer.setInstanceName(Long.toString(System.currentTimeMillis()));
        consumer.setConsumeFromWhere(first
            ? ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET
            : ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener(new MessageListenerConcurrently() {
            @Override
            public ConsumeConcurrentlyStatus consumeMessage(List<MessageExt> msgs,
                ConsumeConcurrentlyContext context) {
                MessageExt msg = msgs.get(0);
                long now = nowMicros();
                total.increment();
                if (measuring.get()) {
                    count.increment();
                    b2c.record(now - msg.getBornTimestamp() * 1000);
                    s2c.record(now - msg.getStoreTimestamp() * 1000);
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            }
        });
        consumer.start();
        String readyFile = System.getenv("BENCH_READY_FILE");
        if (readyFile != null && !readyFile.isEmpty()) {
            Thread ready = new Thread(() -> {
                try {
                    while (consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl()
                        .getProcessQueueTable().isEmpty()) {
                        Thread.sleep(10);
                    }
                    java.nio.file.Files.createFile(java.nio.file.Paths.get(readyFile));
                } catch (Exception e) {
                    System.err.println("ready file: " + e);
                }
            });
            ready.setDaemon(true);
            ready.start();
        }

        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long t0;
        long cpu0;
        long[] rq0;
        if (expect > 0) {
            while (total.sum() == 0) {
                Thread.sleep(1);
            }
            t0 = System.nanoTime();
            cpu0 = os.getProcessCpuTime();
            rq0 = runQueue();
            long limit = t0 + durationMs * 1_000_000L;
            while (total.sum() < expect && System.nanoTime() < limit) {
                Thread.sleep(5);
            }
        } else {
            Thread.sleep(startAt > 0 ? Math.max(0, startAt - System.currentTimeMillis()) : warmupMs);
            measuring.set(true);
            t0 = System.nanoTime();
            cpu0 = os.getProcessCpuTime();
            rq0 = runQueue();
            Thread.sleep(durationMs);
        }
        measuring.set(false);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        long n = count.sum();
        long[] rq1 = runQueue();
        long runs = rq1[1] - rq0[1];
        double runqUs = runs > 0 ? (rq1[0] - rq0[0]) / 1e3 / runs : 0;
        System.out.printf(
            "java msgs=%d secs=%.1f tps=%.0f b2c_avg_ms=%.3f b2c_p50_ms=%.1f b2c_p99_ms=%.1f b2c_max_ms=%.1f "
                + "s2c_avg_ms=%.3f s2c_p50_ms=%.1f s2c_p99_ms=%.1f s2c_max_ms=%.1f cpu_s=%.2f cpu_us_per_msg=%.2f "
                + "runq_wait_us_per_run=%.1f%n",
            n, seconds, n / seconds, b2c.averageMs(), b2c.percentile(0.50), b2c.percentile(0.99),
            b2c.maxMs(), s2c.averageMs(), s2c.percentile(0.50), s2c.percentile(0.99), s2c.maxMs(),
            cpu, n == 0 ? 0 : cpu * 1e6 / n, runqUs);
        if (histogramOut != null) {
            StringBuilder text = new StringBuilder();
            b2c.dump("b2c", text);
            s2c.dump("s2c", text);
            java.nio.file.Files.write(java.nio.file.Paths.get(histogramOut),
                text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        consumer.shutdown();
        System.exit(0);
    }
}

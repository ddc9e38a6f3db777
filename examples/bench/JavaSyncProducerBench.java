// The Java counterpart of examples/producer_bench.rs: N threads sending synchronously
// through one DefaultMQProducer with ROCKETMQ binary headers, like the benchmark Producer
// of rocketmq-example, but recording every send's latency so p50/p99 can be compared.
// Prints one line in the same format as the Rust program.
//
// An optional seventh argument "autobatch" turns on the 5.x client's automatic batching
// (setAutoBatch(true), its default limits).
//
// Compiled and run by examples/bench/producer-bench.sh against the cached Java client jars.

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.Message;

public class JavaSyncProducerBench {
    public static void main(String[] args) throws Exception {
        System.setProperty("rocketmq.serialize.type", "ROCKETMQ");
        String namesrv = args[0];
        String topic = args[1];
        int senders = Integer.parseInt(args[2]);
        int size = Integer.parseInt(args[3]);
        long durationMs = Long.parseLong(args[4]) * 1000;
        long warmupMs = Long.parseLong(args[5]) * 1000;
        boolean autoBatch = args.length > 6 && args[6].equals("autobatch");

        DefaultMQProducer producer = new DefaultMQProducer("benchmark_producer_java");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName(Long.toString(System.currentTimeMillis()));
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        if (autoBatch) {
            // By name: 4.9.x clients have no automatic batching, and this file compiles
            // against either.
            producer.getClass().getMethod("setAutoBatch", boolean.class).invoke(producer, true);
        }
        producer.start();
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'a');
        producer.send(new Message(topic, body));

        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        AtomicLong failed = new AtomicLong();
        List<long[]> samples = new ArrayList<>();
        List<int[]> counts = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < senders; i++) {
            long[] mine = new long[1_000_000];
            int[] n = new int[1];
            samples.add(mine);
            counts.add(n);
            Thread t = new Thread(() -> {
                while (!stop.get()) {
                    long began = System.nanoTime();
                    boolean ok;
                    try {
                        producer.send(new Message(topic, body));
                        ok = true;
                    } catch (Exception e) {
                        ok = false;
                    }
                    long micros = (System.nanoTime() - began) / 1000;
                    if (measuring.get()) {
                        if (ok && n[0] < mine.length) {
                            mine[n[0]++] = micros;
                        } else if (!ok) {
                            failed.incrementAndGet();
                        }
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Thread.sleep(warmupMs);
        measuring.set(true);
        long t0 = System.nanoTime();
        long cpu0 = os.getProcessCpuTime();
        Thread.sleep(durationMs);
        measuring.set(false);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        producer.shutdown();

        int total = 0;
        for (int[] n : counts) {
            total += n[0];
        }
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < senders; i++) {
            System.arraycopy(samples.get(i), 0, all, at, counts.get(i)[0]);
            at += counts.get(i)[0];
        }
        Arrays.sort(all);
        double sum = 0;
        for (long l : all) {
            sum += l;
        }
        System.out.printf(
            "java senders=%d size=%d headers=ROCKETMQ sent=%d failed=%d seconds=%.1f tps=%.0f "
                + "p50_ms=%.3f p99_ms=%.3f avg_ms=%.3f max_ms=%.3f cpu_s=%.2f cpu_us_per_msg=%.2f%n",
            senders, size, total, failed.get(), seconds, total / seconds,
            pct(all, 0.50) / 1000.0, pct(all, 0.99) / 1000.0, sum / Math.max(1, total) / 1000.0,
            (total == 0 ? 0 : all[total - 1]) / 1000.0, cpu, cpu * 1e6 / Math.max(1, total));
        System.exit(0);
    }

    static long pct(long[] sorted, double fraction) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(sorted.length * fraction);
        return sorted[Math.max(1, Math.min(rank, sorted.length)) - 1];
    }
}

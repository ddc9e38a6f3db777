// rmq-go-interop: produces and consumes messages with the Apache RocketMQ Go client
// (github.com/apache/rocketmq-client-go/v2) against any name server, printing one JSON
// object per line on stdout, so a test in another language can compare what was sent
// with what was received. The client's own log goes to stderr.
//
//	rmq-go-interop -namesrv 127.0.0.1:9876 -topic T -group G -n 12 [-mode both|produce|consume]
//
// Message i (0-based) carries tag "TagA", "TagB" or "TagC" (i mod 3), keys
// "key-<run>-<i> alt-<i>", the user properties p_index=<i>, p_run=<run> and
// p_text="héllo wörld =;:", and a UTF-8 body; every fifth body is 6000 bytes long so the
// client compresses it (its threshold is 4 KiB). The push consumer subscribes with
// "TagA || TagB", so TagC messages must never be delivered.
//
// Lines written:
//
//	{"event":"sent","body":...,"tags":...,"keys":...,"properties":{...},"msgId":...,"queueId":...,"queueOffset":...}
//	{"event":"received","body":...,"tags":...,"keys":...,"properties":{...},"msgId":...,"queueId":...,"queueOffset":...,"reconsumeTimes":...}
//	{"event":"done","sent":N,"received":M,"expected":K}
//
// Only messages whose p_run property is this run's id count towards the expected number
// (pass -run with -mode consume to consume what another process produced).
//
// The exit status is 0 when every expected message arrived before the timeout, 1 otherwise
// (the JSON lines are written either way, so the caller can tell what is missing).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// record is one JSON line.
type record struct {
	Event          string            `json:"event"`
	Body           string            `json:"body"`
	Tags           string            `json:"tags"`
	Keys           string            `json:"keys"`
	Properties     map[string]string `json:"properties"`
	MsgID          string            `json:"msgId"`
	QueueID        int               `json:"queueId"`
	QueueOffset    int64             `json:"queueOffset"`
	ReconsumeTimes int32             `json:"reconsumeTimes"`
}

var out = struct {
	sync.Mutex
	enc *json.Encoder
}{enc: json.NewEncoder(os.Stdout)}

func emit(v interface{}) {
	out.Lock()
	defer out.Unlock()
	if err := out.enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "rmq-go-interop: cannot write:", err)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "rmq-go-interop: "+format+"\n", args...)
	os.Exit(2)
}

// tagOf is the tag of message i; the consumer's selector accepts TagA and TagB only.
func tagOf(i int) string { return []string{"TagA", "TagB", "TagC"}[i%3] }

func bodyOf(run string, i int) string {
	body := fmt.Sprintf("go-%s-%d héllo", run, i)
	if i%5 == 4 {
		body += " " + strings.Repeat("0123456789", 600)[:6000-len(body)-1]
	}
	return body
}

func main() {
	namesrv := flag.String("namesrv", "127.0.0.1:9876", "name server address(es), ';'-separated")
	topic := flag.String("topic", "", "topic (must exist or be auto-creatable)")
	group := flag.String("group", "", "producer and consumer group (default: GO_<topic>)")
	n := flag.Int("n", 12, "messages to produce")
	mode := flag.String("mode", "both", "both | produce | consume")
	run := flag.String("run", strconv.FormatInt(time.Now().UnixNano(), 36), "run id put into bodies, keys and properties")
	expect := flag.Int("expect", -1, "consume mode: messages to wait for (default: those of -n that match the selector)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up consuming after this long")
	flag.Parse()
	if *topic == "" {
		fail("-topic is required")
	}
	if *group == "" {
		*group = "GO_" + *topic
	}
	if os.Getenv("ROCKETMQ_GO_LOG_LEVEL") == "" {
		rlog.SetLogLevel("warn")
	}
	addrs := strings.Split(*namesrv, ";")

	expected := map[string]bool{}
	for i := 0; i < *n; i++ {
		if tagOf(i) != "TagC" {
			expected[bodyOf(*run, i)] = true
		}
	}
	want := len(expected)
	if *expect >= 0 {
		want = *expect
	}

	sent := 0
	if *mode == "both" || *mode == "produce" {
		sent = produce(addrs, *topic, *group, *run, *n)
	}
	received, ok := 0, true
	if *mode == "both" || *mode == "consume" {
		received, ok = consume(addrs, *topic, *group, *run, want, *timeout)
	}
	emit(map[string]interface{}{"event": "done", "sent": sent, "received": received, "expected": want})
	if !ok {
		os.Exit(1)
	}
}

func produce(addrs []string, topic, group, run string, n int) int {
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver(addrs)),
		producer.WithGroupName(group+"_P"),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	if err != nil {
		fail("cannot create the producer: %v", err)
	}
	if err := p.Start(); err != nil {
		fail("cannot start the producer: %v", err)
	}
	defer func() { _ = p.Shutdown() }()
	for i := 0; i < n; i++ {
		msg := primitive.NewMessage(topic, []byte(bodyOf(run, i)))
		msg.WithTag(tagOf(i))
		msg.WithKeys([]string{fmt.Sprintf("key-%s-%d", run, i), fmt.Sprintf("alt-%d", i)})
		msg.WithProperty("p_index", strconv.Itoa(i))
		msg.WithProperty("p_run", run)
		msg.WithProperty("p_text", "héllo wörld =;:")
		res, err := p.SendSync(context.Background(), msg)
		if err != nil {
			fail("send %d failed: %v", i, err)
		}
		if res.Status != primitive.SendOK {
			fail("send %d: status %v", i, res.Status)
		}
		emit(record{
			Event:       "sent",
			Body:        string(msg.Body),
			Tags:        msg.GetTags(),
			Keys:        msg.GetKeys(),
			Properties:  userProperties(msg.GetProperties()),
			MsgID:       res.MsgID,
			QueueID:     res.MessageQueue.QueueId,
			QueueOffset: res.QueueOffset,
		})
	}
	return n
}

// userProperties drops nothing: the caller decides which properties to compare. A copy
// is taken because the client keeps using the message's map.
func userProperties(p map[string]string) map[string]string {
	c := make(map[string]string, len(p))
	for k, v := range p {
		c[k] = v
	}
	return c
}

func consume(addrs []string, topic, group, run string, want int, timeout time.Duration) (int, bool) {
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver(addrs)),
		consumer.WithGroupName(group),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		fail("cannot create the push consumer: %v", err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	total := 0
	all := make(chan struct{})
	closed := false
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagB"}
	err = c.Subscribe(topic, selector, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			emit(record{
				Event:          "received",
				Body:           string(m.Body),
				Tags:           m.GetTags(),
				Keys:           m.GetKeys(),
				Properties:     userProperties(m.GetProperties()),
				MsgID:          m.MsgId,
				QueueID:        m.Queue.QueueId,
				QueueOffset:    m.QueueOffset,
				ReconsumeTimes: m.ReconsumeTimes,
			})
			mu.Lock()
			total++
			// Only this run's messages count (a reused topic may hold older ones).
			if m.GetProperty("p_run") == run {
				seen[string(m.Body)] = true
			}
			if len(seen) >= want && !closed {
				closed = true
				close(all)
			}
			mu.Unlock()
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		fail("cannot subscribe: %v", err)
	}
	if err := c.Start(); err != nil {
		fail("cannot start the push consumer: %v", err)
	}
	ok := true
	if want > 0 {
		select {
		case <-all:
		case <-time.After(timeout):
			ok = false
		}
	}
	// A short grace period, so a message delivered twice or one that should have been
	// filtered out shows up in the output too.
	time.Sleep(time.Second)
	_ = c.Shutdown()
	mu.Lock()
	defer mu.Unlock()
	return total, ok
}

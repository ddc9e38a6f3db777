#!/usr/bin/env node
// rmq-node-interop: produces and consumes messages with ali-ons against any RocketMQ name
// server, printing one JSON object per line on stdout (the client's log goes to stderr),
// so a test in another language can compare what was sent with what was received.
//
//   rmq-node-interop --namesrv 127.0.0.1:9876 --topic T [--group G] [--n 12]
//                    [--mode both|produce|consume] [--run ID] [--expect K] [--timeout-ms 60000]
//
// Pointing ali-ons at a plain name server: ali-ons normally asks Aliyun's HTTP address
// service (`onsAddr`) for the name servers. Its RemotingClient skips that lookup when the
// `nameSrv` option (a "host:port" string or an array of them) is given; it still asserts
// that an `httpclient` option exists, which is then never called, so a stub is passed.
// Without `accessKeyId`/`accessKeySecret` no request is signed (no AccessKey/Signature
// extFields), which is what an open-source broker expects.
//
// Messages follow the same pattern as interop/go: message i has tag TagA/TagB/TagC
// (i mod 3), keys "key-<run>-<i> alt-<i>", properties p_index, p_run and p_text, a UTF-8
// body, every fifth one 6000 bytes long (compressed by the client above 4 KiB). The
// consumer subscribes with "TagA || TagB".
//
// Only messages whose p_run property is this run's id count towards the expected number
// (pass --run with --mode consume to consume what another process produced).
//
// Lines: {"event":"sent",...}, {"event":"received",...}, {"event":"done",...}; exit 0 when
// every expected message arrived in time, 1 otherwise.
'use strict';

const { Producer, Consumer, Message } = require('ali-ons');

function parseArgs(argv) {
  const args = {
    namesrv: '127.0.0.1:9876',
    topic: '',
    group: '',
    n: 12,
    mode: 'both',
    run: Date.now().toString(36),
    expect: -1,
    timeoutMs: 60000,
  };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) fail(`missing value for ${key}`);
    switch (key) {
      case '--namesrv': args.namesrv = value; break;
      case '--topic': args.topic = value; break;
      case '--group': args.group = value; break;
      case '--n': args.n = parseInt(value, 10); break;
      case '--mode': args.mode = value; break;
      case '--run': args.run = value; break;
      case '--expect': args.expect = parseInt(value, 10); break;
      case '--timeout-ms': args.timeoutMs = parseInt(value, 10); break;
      default: fail(`unknown argument ${key}`);
    }
  }
  if (!args.topic) fail('--topic is required');
  if (!args.group) args.group = `NODE_${args.topic}`;
  return args;
}

function fail(text) {
  process.stderr.write(`rmq-node-interop: ${text}\n`);
  process.exit(2);
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const tagOf = i => [ 'TagA', 'TagB', 'TagC' ][i % 3];

function bodyOf(run, i) {
  let body = `node-${run}-${i} héllo`;
  if (i % 5 === 4) {
    body += ' ' + '0123456789'.repeat(600).slice(0, 6000 - Buffer.byteLength(body) - 1);
  }
  return body;
}

// Everything the client logs goes to stderr, so stdout stays JSON lines only.
const logger = {
  debug() {},
  info(...a) { if (process.env.RMQ_NODE_VERBOSE) console.error(...a); },
  warn(...a) { console.error(...a); },
  error(...a) { console.error(...a); },
};

// Required by ali-ons' RemotingClient; never called because `nameSrv` is set.
const httpclient = {
  async request(url) {
    throw new Error(`unexpected HTTP name-server lookup (${url}): nameSrv is set`);
  },
};

function common(args) {
  return {
    httpclient,
    nameSrv: args.namesrv.split(';'),
    logger,
    // Unique per run: ali-ons shares one client per instance name in a process.
    instanceName: `rmq-node-interop-${process.pid}`,
  };
}

// ali-ons emits client errors (e.g. "no route yet for %RETRY%<group>", normal until the
// broker has seen the consumer's heartbeat) as 'error' events; an EventEmitter without a
// listener would turn them into a crash.
const onError = what => err => console.error(`${what} error:`, err && err.message);

async function produce(args) {
  const producer = new Producer({ ...common(args), producerGroup: `${args.group}_P` });
  producer.on('error', onError('producer'));
  await producer.ready();
  for (let i = 0; i < args.n; i++) {
    const body = bodyOf(args.run, i);
    const msg = new Message(args.topic, tagOf(i), Buffer.from(body, 'utf8'));
    msg.keys = [ `key-${args.run}-${i}`, `alt-${i}` ];
    msg.properties.p_index = String(i);
    msg.properties.p_run = args.run;
    msg.properties.p_text = 'héllo wörld =;:';
    // The producer compresses msg.body in place: keep a copy of what was sent.
    const properties = { ...msg.properties };
    const result = await producer.send(msg);
    if (result.sendStatus !== 'SEND_OK') fail(`send ${i}: status ${result.sendStatus}`);
    emit({
      event: 'sent',
      body,
      tags: properties.TAGS,
      keys: properties.KEYS,
      properties,
      msgId: result.msgId,
      queueId: Number(result.messageQueue.queueId),
      queueOffset: Number(result.queueOffset),
    });
  }
  await producer.close();
  // close() drops the producer's listeners, but the client it shared with the consumer
  // keeps forwarding errors to it: keep one listener so those are logged, not thrown.
  producer.on('error', onError('producer (closed)'));
  return args.n;
}

async function consume(args, want) {
  const consumer = new Consumer({
    ...common(args),
    consumerGroup: args.group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  const seen = new Set();
  let total = 0;
  let resolveAll;
  const all = new Promise(resolve => { resolveAll = resolve; });
  consumer.on('error', onError('consumer'));
  consumer.subscribe(args.topic, 'TagA || TagB', async msg => {
    const body = msg.body.toString('utf8');
    emit({
      event: 'received',
      body,
      tags: msg.tags,
      keys: msg.keys,
      properties: msg.properties,
      msgId: msg.msgId,
      queueId: Number(msg.queueId),
      queueOffset: Number(msg.queueOffset),
      reconsumeTimes: msg.reconsumeTimes,
    });
    total++;
    // Only this run's messages count (a reused topic may hold older ones).
    if (msg.properties.p_run === args.run) seen.add(body);
    if (seen.size >= want) resolveAll(true);
  });
  await consumer.ready();
  let ok = true;
  if (want > 0) {
    let timer;
    const timeout = new Promise(resolve => { timer = setTimeout(() => resolve(false), args.timeoutMs); });
    ok = await Promise.race([ all, timeout ]);
    clearTimeout(timer);
  }
  // A short grace period so a duplicate or a message that should have been filtered out
  // shows up in the output too.
  await new Promise(resolve => setTimeout(resolve, 1000));
  await consumer.close();
  return { total, ok };
}

async function main() {
  const args = parseArgs(process.argv);
  // The consumer and producer share one inner producer (Producer.getDefaultProducer) that
  // reports client errors too: create it first so it has a listener.
  const inner = await Producer.getDefaultProducer(common(args));
  inner.on('error', onError('client'));
  let want = 0;
  for (let i = 0; i < args.n; i++) if (tagOf(i) !== 'TagC') want++;
  if (args.expect >= 0) want = args.expect;
  let sent = 0;
  if (args.mode === 'both' || args.mode === 'produce') sent = await produce(args);
  let received = 0;
  let ok = true;
  if (args.mode === 'both' || args.mode === 'consume') ({ total: received, ok } = await consume(args, want));
  emit({ event: 'done', sent, received, expected: want });
  process.exit(ok ? 0 : 1);
}

main().catch(err => {
  process.stderr.write(`rmq-node-interop: ${err && err.stack || err}\n`);
  process.exit(2);
});

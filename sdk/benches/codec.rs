//! Encode/decode throughput of the wire formats: a SEND_MESSAGE_V2 request frame in both
//! header serializations, a pull-response body of 32 stored messages (with only a tag, and
//! with the properties a Java producer and broker write), and the frame codec cutting a
//! stream of pull responses read in socket-sized chunks; reading the send request's
//! typed header from its decoded `extFields` (what a broker does with every send); and
//! writing a pull request's typed header into a new command (what a consumer does with
//! every pull) and reading it back (what a broker does with every pull).

#![allow(clippy::expect_used)] // benchmark set-up on fixed, known-good inputs

use std::hint::black_box;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rocketmq::codec::RemotingCodec;
use rocketmq::protocol::header::{PullMessageRequestHeader, RpcFields, SendMessageRequestHeaderV2};
use rocketmq::protocol::message::{DecodeOptions, Message, StoredMessage, property};
use rocketmq::protocol::{RemotingCommand, RequestCode, SerializeType};

fn send_request(serialize: SerializeType) -> RemotingCommand {
    let fields = [
        ("a", "benchmark_producer"),
        ("b", "BenchmarkTopic"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "3"),
        ("f", "0"),
        ("g", "1700000000000"),
        ("h", "0"),
        (
            "i",
            "UNIQ_KEY\u{1}7F0000010001000000000000000A\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}",
        ),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ];
    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_opaque(42)
        .with_serialize_type(serialize)
        .with_body(Bytes::from(vec![b'x'; 128]));
    for (k, v) in fields {
        cmd = cmd.with_ext_field(k, v);
    }
    cmd
}

fn bench_commands(c: &mut Criterion) {
    for (name, serialize) in [
        ("json", SerializeType::Json),
        ("rocketmq", SerializeType::RocketMq),
    ] {
        let cmd = send_request(serialize);
        let mut frame = BytesMut::new();
        cmd.encode(&mut frame).expect("encode");
        let frame = frame.freeze();
        let mut group = c.benchmark_group(format!("send_v2_{name}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("encode", |b| {
            let mut out = BytesMut::with_capacity(1024);
            b.iter(|| {
                out.clear();
                black_box(&cmd).encode(&mut out).expect("encode");
            })
        });
        group.bench_function("decode", |b| {
            b.iter(|| RemotingCommand::decode_frame(black_box(frame.slice(4..))).expect("decode"))
        });
        group.bench_function("read_header", |b| {
            b.iter(|| {
                black_box(&cmd)
                    .read_header::<SendMessageRequestHeaderV2>()
                    .expect("header")
            })
        });
        group.finish();
    }
}

/// A pull-response body of 32 records with 128-byte bodies; `java_props` adds the properties
/// a Java producer and broker write (UNIQ_KEY, KEYS, WAIT, MIN/MAX_OFFSET, CLUSTER).
fn pull_body(java_props: bool) -> Bytes {
    let host: SocketAddr = "127.0.0.1:10911".parse().expect("addr");
    let mut body = Vec::new();
    for i in 0..32 {
        let mut msg = Message::new("BenchmarkTopic", Bytes::from(vec![b'y'; 128]));
        msg.set_tags("TagA");
        if java_props {
            let props = msg.properties_mut();
            props.insert(
                property::UNIQ_KEY,
                format!("7F00000100012A9F8E1C4E2B{i:08X}"),
            );
            props.insert(property::KEYS, format!("order-{i}"));
            props.insert(property::WAIT, "true");
            props.insert(property::MIN_OFFSET, "0");
            props.insert(property::MAX_OFFSET, "1048576");
            props.insert(property::CLUSTER, "DefaultCluster");
        }
        let record = StoredMessage {
            message: msg,
            queue_offset: i,
            commit_log_offset: i * 300,
            born_host: host,
            store_host: host,
            ..StoredMessage::default()
        };
        record.encode(&mut body).expect("encode");
    }
    Bytes::from(body)
}

fn bench_messages(c: &mut Criterion) {
    let opts = DecodeOptions::default();
    for (name, java_props) in [
        ("pull_body_32x128B", false),
        ("pull_body_32x128B_java_props", true),
    ] {
        let body = pull_body(java_props);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(32));
        group.bench_function("decode", |b| {
            b.iter(|| StoredMessage::decode_all(black_box(body.clone()), &opts).expect("decode"))
        });
        group.finish();
    }
}

/// 64 pull-response frames fed to the codec in reads of at most 16 KiB into the buffer's
/// spare room (as `FramedRead` does), keeping every decoded frame alive as a consumer keeps
/// its messages until consumed.
fn bench_stream(c: &mut Criterion) {
    let body = pull_body(true);
    let mut codec = RemotingCodec::new();
    let mut stream = BytesMut::new();
    for opaque in 0..64 {
        let cmd = RemotingCommand::request(RequestCode::PULL_MESSAGE)
            .with_opaque(opaque)
            .with_body(body.clone());
        tokio_util::codec::Encoder::encode(&mut codec, &cmd, &mut stream).expect("encode");
    }
    let stream = stream.freeze();
    let mut group = c.benchmark_group("codec_stream_64_pull_frames");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut codec = RemotingCodec::new();
            let mut buf = BytesMut::with_capacity(8 * 1024);
            let mut frames = Vec::with_capacity(64);
            let mut pos = 0;
            loop {
                while let Some(frame) =
                    tokio_util::codec::Decoder::decode(&mut codec, &mut buf).expect("decode")
                {
                    frames.push(frame);
                }
                if pos == stream.len() {
                    break;
                }
                buf.reserve(1);
                let n = (buf.capacity() - buf.len())
                    .min(16 * 1024)
                    .min(stream.len() - pos);
                buf.extend_from_slice(&stream[pos..pos + n]);
                pos += n;
            }
            assert_eq!(frames.len(), 64);
            frames
        })
    });
    group.finish();
}

/// A push consumer's pull request: its header written into a new command's `extFields`.
fn bench_pull_request(c: &mut Criterion) {
    let header = PullMessageRequestHeader {
        consumer_group: "benchmark_consumer".into(),
        topic: "BenchmarkTopic".into(),
        queue_id: 3,
        queue_offset: 1_234_567,
        max_msg_nums: 32,
        sys_flag: 3,
        commit_offset: 1_234_560,
        suspend_timeout_millis: 15_000,
        sub_version: 1_700_000_000_000,
        expression_type: Some("TAG".into()),
        rpc: RpcFields {
            broker_name: Some("broker-a".into()),
            ..RpcFields::default()
        },
        // No subscription (the broker has it from the heartbeat), no 5.x-only fields.
        ..PullMessageRequestHeader::default()
    };
    let mut group = c.benchmark_group("pull_request");
    group.throughput(Throughput::Elements(1));
    group.bench_function("write_header", |b| {
        b.iter(|| {
            RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(black_box(&header))
        })
    });
    // What a broker does with every pull: the header read back from a decoded frame,
    // whose `extFields` come in the order Java's `HashMap` writes them.
    let mut frame = BytesMut::new();
    RemotingCommand::request(RequestCode::PULL_MESSAGE)
        .with_header(&header)
        .encode(&mut frame)
        .expect("encode");
    let decoded = RemotingCommand::decode_frame(frame.freeze().slice(4..)).expect("decode");
    group.bench_function("read_header", |b| {
        b.iter(|| {
            black_box(&decoded)
                .read_header::<PullMessageRequestHeader>()
                .expect("header")
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_commands,
    bench_messages,
    bench_stream,
    bench_pull_request
);
criterion_main!(benches);

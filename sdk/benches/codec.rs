//! Encode/decode throughput of the wire formats: a SEND_MESSAGE_V2 request frame in both
//! header serializations, and a pull-response body of 32 stored messages.

#![allow(clippy::expect_used)] // benchmark set-up on fixed, known-good inputs

use std::hint::black_box;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rocketmq::protocol::message::{DecodeOptions, Message, StoredMessage};
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
        group.finish();
    }
}

fn bench_messages(c: &mut Criterion) {
    let host: SocketAddr = "127.0.0.1:10911".parse().expect("addr");
    let mut body = Vec::new();
    for i in 0..32 {
        let mut msg = Message::new("BenchmarkTopic", Bytes::from(vec![b'y'; 128]));
        msg.set_tags("TagA");
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
    let body = Bytes::from(body);
    let opts = DecodeOptions::default();
    let mut group = c.benchmark_group("pull_body_32x128B");
    group.throughput(Throughput::Elements(32));
    group.bench_function("decode", |b| {
        b.iter(|| StoredMessage::decode_all(black_box(body.clone()), &opts).expect("decode"))
    });
    group.finish();
}

criterion_group!(benches, bench_commands, bench_messages);
criterion_main!(benches);

//! What the producer-side modes share: building the producers (one per `--connections`),
//! the Java tools' compression flags, and classifying a send's outcome into counters.

use std::time::Duration;

use clap::Args;
use rocketmq::producer::{Producer, ProducerBuilder, SendResult, SendStatus};
use rocketmq::protocol::SerializeType;
use rocketmq::protocol::message::CompressionType;
use serde::Serialize;

use crate::cli::{AclArgs, CommonArgs, java_bool};
use crate::stats::{Layout, Recorder};
use crate::target::Target;

/// The Java tools' compression flags (`-c true -ct ZLIB -cl 5 -ch 4096`).
#[derive(Args, Clone, Debug, Serialize)]
pub(crate) struct CompressArgs {
    /// Compress bodies over the threshold (`true`/`false`); off, nothing is compressed.
    #[arg(short = 'c', long = "compressEnable", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "false", value_parser = java_bool)]
    pub(crate) compress_enable: bool,
    /// Compression algorithm: ZLIB, LZ4 or ZSTD.
    #[arg(long = "compressType", value_name = "TYPE", default_value = "ZLIB")]
    pub(crate) compress_type: String,
    /// Compression level.
    #[arg(long = "compressLevel", value_name = "LEVEL", default_value_t = 5)]
    pub(crate) compress_level: i32,
    /// Compress bodies of at least this many bytes.
    #[arg(
        long = "compressOverHowMuch",
        value_name = "BYTES",
        default_value_t = 4096
    )]
    pub(crate) compress_over: usize,
}

impl CompressArgs {
    /// Applies the flags to a producer builder (off: threshold beyond any body, as Java
    /// sets `Integer.MAX_VALUE`).
    fn apply<M>(&self, builder: ProducerBuilder<M>) -> anyhow::Result<ProducerBuilder<M>> {
        if !self.compress_enable {
            return Ok(builder.compress_threshold(usize::MAX));
        }
        let kind = CompressionType::from_name(self.compress_type.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "-ct/--compressType: unknown type {:?} (ZLIB, LZ4 or ZSTD)",
                self.compress_type
            )
        })?;
        Ok(builder
            .compression(kind)
            .compress_level(self.compress_level)
            .compress_threshold(self.compress_over))
    }
}

/// Applies the shared producer settings (name server, group, instance, compression).
pub(crate) fn configure<M>(
    builder: ProducerBuilder<M>,
    target: &Target,
    group: &str,
    index: usize,
    compress: Option<&CompressArgs>,
) -> anyhow::Result<ProducerBuilder<M>> {
    let builder = builder
        .namesrv_addr(target.namesrv())
        .group(group)
        // Java's benchmark tools set the ROCKETMQ binary header encoding.
        .serialize_type(SerializeType::RocketMq)
        // One client instance per connection: distinct instance names.
        .instance_name(format!("perf-tool-{}-{index}", std::process::id()));
    match compress {
        Some(c) => c.apply(builder),
        None => Ok(builder),
    }
}

/// Builds `--connections` plain producers (signing with `-a true`'s credentials).
pub(crate) async fn producers(
    common: &CommonArgs,
    acl: &AclArgs,
    target: &Target,
    group: &str,
    compress: Option<&CompressArgs>,
) -> anyhow::Result<Vec<Producer>> {
    let mut out = Vec::with_capacity(common.connections);
    for i in 0..common.connections {
        let mut builder = configure(Producer::builder(), target, group, i, compress)?;
        if let Some(credentials) = acl.credentials() {
            builder = builder.credentials(credentials);
        }
        out.push(
            builder
                .build()
                .await
                .map_err(|e| anyhow::anyhow!("cannot start producer: {e}"))?,
        );
    }
    Ok(out)
}

/// Counters of the single-message producer modes, in [`PRODUCER_LAYOUT`] order.
pub(crate) mod counter {
    /// Sends started.
    pub(crate) const SENT: usize = 0;
    /// Sends the broker stored (any send status).
    pub(crate) const ACKNOWLEDGED: usize = 1;
    /// Sends that failed, whatever the cause.
    pub(crate) const FAILED: usize = 2;
    /// Failures on the client side or in transport (Java's "Send Failed").
    pub(crate) const SEND_FAILED: usize = 3;
    /// Failures the broker answered with a response code (Java's "Response Failed").
    pub(crate) const RESPONSE_FAILED: usize = 4;
}

/// The latency series of the producer modes.
pub(crate) const SEND_SERIES: usize = 0;

/// Counters and series of the single-message producer modes.
pub(crate) static PRODUCER_LAYOUT: Layout = Layout {
    counters: &[
        "sent",
        "acknowledged",
        "failed",
        "send_failed",
        "response_failed",
    ],
    series: &["send"],
};

/// Records a send's outcome: acknowledged with its latency, or failed by cause. Returns
/// whether it failed, so callers can back off as the Java tools do.
#[inline]
pub(crate) fn record_send(
    recorder: &Recorder,
    latency: Duration,
    outcome: &rocketmq::Result<SendResult>,
) -> bool {
    let stats = recorder.stats();
    match outcome {
        Ok(result) => {
            recorder.record(SEND_SERIES, latency);
            stats.add(counter::ACKNOWLEDGED, 1);
            if result.status != SendStatus::SendOk {
                stats.note(&format!("send status {:?}", result.status));
            }
            false
        }
        Err(e) => {
            record_failure(recorder, e);
            true
        }
    }
}

/// Counts a failed send by its cause.
pub(crate) fn record_failure(recorder: &Recorder, error: &rocketmq::Error) {
    let stats = recorder.stats();
    let kind = stats.fail(error);
    stats.add(counter::FAILED, 1);
    stats.add(
        if kind.is_response() {
            counter::RESPONSE_FAILED
        } else {
            counter::SEND_FAILED
        },
        1,
    );
}

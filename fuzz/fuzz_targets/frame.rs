//! Feeds arbitrary bytes to the frame codec and the command decoder: they must return
//! commands or typed errors, never panic, and decoded commands must re-encode.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rocketmq::codec::RemotingCodec;
use rocketmq::protocol::RemotingCommand;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    // Whole stream through the codec (length prefix included), small frame limit.
    let mut codec = RemotingCodec::with_max_frame_len(1 << 20);
    let mut buf = BytesMut::from(data);
    while let Ok(Some(cmd)) = codec.decode(&mut buf) {
        let mut out = BytesMut::new();
        let _ = cmd.encode(&mut out);
    }
    // The same bytes as one frame body.
    if let Ok(cmd) = RemotingCommand::decode_frame(bytes::Bytes::copy_from_slice(data)) {
        let mut out = BytesMut::new();
        let _ = cmd.encode(&mut out);
    }
});

//! Messages: the stored/pulled record format, batches, ids, flags and compression.
//!
//! Mirrors Java's `org.apache.rocketmq.common.message` (`Message`, `MessageExt`,
//! `MessageDecoder`, `MessageConst`, `MessageClientIDSetter`, `MessageBatch`), `MessageSysFlag`
//! and the `compression` package, byte for byte for 4.9.8 and 5.3.3. Where the two differ
//! (properties' trailing separator, V2 records, clearing `COMPRESSED` after decompression) the
//! item docs say which behaviour is followed.

mod batch;
mod compression;
mod msg;
mod msg_id;
mod properties;
pub mod property;
mod reader;
mod record;
mod sys_flag;
mod uniq_id;

pub use batch::{decode_batch, encode_batch};
pub use compression::CompressionType;
pub use msg::Message;
pub use msg_id::OffsetMsgId;
pub use properties::{NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, Properties};
pub use record::{
    BLANK_MAGIC_CODE, DecodeOptions, MAGIC_CODE_V1, MAGIC_CODE_V2, RecordVersion, Records,
    StoredMessage, body_crc,
};
pub use sys_flag::{SysFlag, TransactionType};
pub use uniq_id::{UniqId, UniqIdGenerator};

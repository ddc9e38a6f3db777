//! The body of `REGISTER_BROKER` (Java `body.RegisterBrokerBody`): the broker's topic
//! configs and filter servers, as JSON or in Java's compressed layout.
//!
//! The compressed layout (sent when the broker sets `compressedRegister`, and marked by the
//! header's `compressed = true`) is one zlib stream holding, with every length a big-endian
//! `i32`:
//!
//! ```text
//! len | DataVersion JSON
//! count | count x (len | topic config text)
//! len | filter server list JSON (an array of strings)
//! 5.x only: count | count x (len | TopicQueueMappingInfo JSON)
//! ```
//!
//! A topic config's text is `name readQueueNums writeQueueNums perm topicFilterType`, space
//! separated (`TopicConfig.encode`); 5.x appends a space and the attributes as a JSON object
//! (nothing after the space when there are none). 4.9.x name servers stop after the filter
//! servers; 5.x ones read the mapping section only from 5.x brokers, so the reader here reads
//! it when the stream has more bytes.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::enums::TopicFilterType;
use super::{DataVersion, LinkedMap, TopicConfig, TopicConfigTable, TopicQueueMappingInfo};
use crate::protocol::json::{self, JsonBody};
use crate::protocol::message::CompressionType;
use crate::{Error, Result};

/// Largest decompressed register body accepted (a broker with ~100k topics stays below).
pub const MAX_REGISTER_BODY: usize = 64 * 1024 * 1024;

const WHAT: &str = "compressed RegisterBrokerBody";

/// What a broker registers with a name server (Java `RegisterBrokerBody`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RegisterBrokerBody {
    /// The broker's topic configs and their data version (`topicConfigSerializeWrapper`).
    #[serde(rename = "topicConfigSerializeWrapper")]
    pub topic_config: TopicConfigTable,
    /// Filter server addresses (`filterServerList`; a 4.x feature, usually empty).
    #[serde(rename = "filterServerList")]
    pub filter_servers: Vec<String>,
}

impl JsonBody for RegisterBrokerBody {}

impl RegisterBrokerBody {
    /// Reads a body as the name server does: JSON, or the compressed layout when the
    /// header's `compressed` is set. Decompressed data beyond [`MAX_REGISTER_BODY`] is
    /// refused with [`Error::TooLarge`].
    pub fn decode(body: &[u8], compressed: bool) -> Result<Self> {
        if !compressed {
            return Self::from_json(body);
        }
        let plain = CompressionType::Zlib.decompress(body, MAX_REGISTER_BODY)?;
        let mut input = Reader(&plain);
        let data_version = DataVersion::from_json(input.chunk()?)?;
        let count = input.count()?;
        let mut table = LinkedMap::new();
        for _ in 0..count {
            let text = std::str::from_utf8(input.chunk()?)
                .map_err(|e| Error::decode(WHAT, format!("topic config is not UTF-8: {e}")))?;
            let config = parse_topic_config(text)?;
            table.insert(config.topic_name.clone(), config);
        }
        let filter_servers: Vec<String> = json::from_slice(input.chunk()?)?;
        let mut mappings = None;
        if !input.0.is_empty() {
            let count = input.count()?;
            let mut map = LinkedMap::new();
            for _ in 0..count {
                let info = TopicQueueMappingInfo::from_json(input.chunk()?)?;
                map.insert(info.topic.clone().unwrap_or_default(), info);
            }
            mappings = Some(map);
        }
        Ok(RegisterBrokerBody {
            topic_config: TopicConfigTable {
                topic_config_table: table,
                data_version: Some(data_version),
                topic_queue_mapping_info_map: mappings,
                ..TopicConfigTable::default()
            },
            filter_servers,
        })
    }

    /// Writes the compressed layout (zlib at Java's `BEST_COMPRESSION`). `v5` adds the
    /// attributes to each topic config and the static-topic mapping section, as 5.x brokers
    /// write them.
    pub fn encode_compressed(&self, v5: bool) -> Result<Vec<u8>> {
        let mut plain = Vec::new();
        let version = self.topic_config.data_version.clone().unwrap_or_default();
        put_chunk(&mut plain, &version.to_json())?;
        put_len(&mut plain, self.topic_config.topic_config_table.len())?;
        for config in self.topic_config.topic_config_table.values() {
            put_chunk(&mut plain, topic_config_text(config, v5).as_bytes())?;
        }
        put_chunk(&mut plain, &json::to_vec(&self.filter_servers)?)?;
        if v5 {
            let empty = LinkedMap::new();
            let map = self
                .topic_config
                .topic_queue_mapping_info_map
                .as_ref()
                .unwrap_or(&empty);
            put_len(&mut plain, map.len())?;
            for info in map.values() {
                put_chunk(&mut plain, &info.to_json())?;
            }
        }
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&plain)
            .map_err(|e| Error::Compression(e.to_string()))?;
        enc.finish().map_err(|e| Error::Compression(e.to_string()))
    }
}

/// Java `TopicConfig.encode`.
fn topic_config_text(config: &TopicConfig, v5: bool) -> String {
    let mut text = format!(
        "{} {} {} {} {}",
        config.topic_name,
        config.read_queue_nums,
        config.write_queue_nums,
        config.perm,
        config.topic_filter_type
    );
    if v5 {
        text.push(' ');
        if let Some(attributes) = &config.attributes
            && let Ok(bytes) = json::to_vec(attributes)
        {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    text
}

/// Java `TopicConfig.decode`: at least five space-separated fields; a sixth is the
/// attributes JSON, ignored when it does not parse (Java ignores it too).
fn parse_topic_config(text: &str) -> Result<TopicConfig> {
    let parts: Vec<&str> = text.split(' ').collect();
    if parts.len() < 5 {
        return Err(Error::decode(
            WHAT,
            format!("topic config {text:?} has fewer than 5 fields"),
        ));
    }
    let int = |i: usize, field: &'static str| {
        parts[i].parse::<i32>().map_err(|_| Error::InvalidField {
            field,
            value: parts[i].to_owned(),
        })
    };
    Ok(TopicConfig {
        topic_name: parts[0].to_owned(),
        read_queue_nums: int(1, "readQueueNums")?,
        write_queue_nums: int(2, "writeQueueNums")?,
        perm: int(3, "perm")?,
        topic_filter_type: TopicFilterType::from_name(parts[4]),
        attributes: parts
            .get(5)
            .filter(|a| !a.is_empty())
            .and_then(|a| json::from_slice(a.as_bytes()).ok()),
        ..TopicConfig::default()
    })
}

fn put_len(out: &mut Vec<u8>, len: usize) -> Result<()> {
    let n = i32::try_from(len).map_err(|_| Error::TooLarge {
        what: "RegisterBrokerBody section",
        len,
        max: i32::MAX as usize,
    })?;
    out.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

fn put_chunk(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    put_len(out, bytes.len())?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Reads big-endian lengths and the chunks they announce, checked against what is left.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn int(&mut self) -> Result<i32> {
        let Some((head, rest)) = self.0.split_first_chunk::<4>() else {
            return Err(Error::decode(WHAT, "truncated length"));
        };
        self.0 = rest;
        Ok(i32::from_be_bytes(*head))
    }

    fn count(&mut self) -> Result<usize> {
        let n = self.int()?;
        usize::try_from(n).map_err(|_| Error::decode(WHAT, format!("negative count {n}")))
    }

    fn chunk(&mut self) -> Result<&'a [u8]> {
        let len = self.count()?;
        if len > self.0.len() {
            return Err(Error::decode(
                WHAT,
                format!("length {len} exceeds the {} bytes left", self.0.len()),
            ));
        }
        let (chunk, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RegisterBrokerBody {
        let mut table = LinkedMap::new();
        for (name, queues) in [("TopicA", 8), ("TopicB", 4)] {
            table.insert(
                name.to_owned(),
                TopicConfig {
                    topic_name: name.to_owned(),
                    read_queue_nums: queues,
                    write_queue_nums: queues,
                    perm: 6,
                    ..TopicConfig::default()
                },
            );
        }
        RegisterBrokerBody {
            topic_config: TopicConfigTable {
                topic_config_table: table,
                data_version: Some(DataVersion {
                    state_version: None,
                    timestamp: 1_700_000_000_000,
                    counter: 3,
                }),
                ..TopicConfigTable::default()
            },
            filter_servers: vec![],
        }
    }

    #[test]
    fn json_round_trip() {
        let body = sample();
        let json = body.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.starts_with(r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"#));
        assert_eq!(RegisterBrokerBody::decode(&json, false).unwrap(), body);
    }

    #[test]
    fn compressed_round_trip_4x_and_5x() {
        let body = sample();
        let v4 = body.encode_compressed(false).unwrap();
        assert_eq!(RegisterBrokerBody::decode(&v4, true).unwrap(), body);
        let v5 = body.encode_compressed(true).unwrap();
        let back = RegisterBrokerBody::decode(&v5, true).unwrap();
        assert_eq!(
            back.topic_config.topic_config_table,
            body.topic_config.topic_config_table
        );
        assert_eq!(
            back.topic_config.topic_queue_mapping_info_map,
            Some(LinkedMap::new())
        );
    }

    #[test]
    fn topic_config_text_matches_java() {
        let mut config = TopicConfig {
            topic_name: "T".into(),
            read_queue_nums: 2,
            write_queue_nums: 3,
            ..TopicConfig::default()
        };
        assert_eq!(topic_config_text(&config, false), "T 2 3 6 SINGLE_TAG");
        assert_eq!(topic_config_text(&config, true), "T 2 3 6 SINGLE_TAG ");
        config.attributes = Some([("+message.type".to_owned(), "FIFO".to_owned())].into());
        let text = topic_config_text(&config, true);
        assert_eq!(text, r#"T 2 3 6 SINGLE_TAG {"+message.type":"FIFO"}"#);
        assert_eq!(parse_topic_config(&text).unwrap(), config);
        assert!(parse_topic_config("T 2 3 6").is_err());
        assert!(parse_topic_config("T x 3 6 SINGLE_TAG").is_err());
    }

    #[test]
    fn hostile_input_is_refused() {
        // Lengths beyond the data, negative counts, garbage and truncation: errors, no panic.
        let mut plain = Vec::new();
        plain.extend_from_slice(&1000i32.to_be_bytes());
        let z = CompressionType::Zlib.compress(&plain, 6).unwrap();
        assert!(RegisterBrokerBody::decode(&z, true).is_err());
        let mut plain = Vec::new();
        put_chunk(&mut plain, b"{}").unwrap();
        plain.extend_from_slice(&(-1i32).to_be_bytes());
        let z = CompressionType::Zlib.compress(&plain, 6).unwrap();
        assert!(RegisterBrokerBody::decode(&z, true).is_err());
        assert!(RegisterBrokerBody::decode(b"not zlib", true).is_err());
        let good = sample().encode_compressed(true).unwrap();
        for cut in 0..good.len() {
            let _ = RegisterBrokerBody::decode(&good[..cut], true);
        }
    }
}

//! Facts about stored messages for admin requests (Java `getMessageStoreTimeStamp`,
//! `getEarliestMessageTime`, `deleteTopics`).

use super::*;

impl State {
    /// The store time written in the record a consume-queue entry points at.
    pub(super) fn store_time_of(&self, e: &Entry) -> Result<Option<i64>> {
        let Some(rec) = self.commit_log.read(e.phys_offset, e.size as usize)? else {
            return Ok(None);
        };
        let mut buf = rec;
        let opts = DecodeOptions {
            read_body: false,
            decompress_body: false,
            ..DecodeOptions::default()
        };
        Ok(StoredMessage::decode(&mut buf, &opts)
            .ok()
            .map(|m| m.store_timestamp))
    }
}

impl Store {
    /// The store time (epoch ms) of the message at logical `offset` of a queue; `None`
    /// when there is no such message (Java `getMessageStoreTimeStamp`). Blocking.
    pub fn message_store_time(
        &self,
        topic: &str,
        queue_id: i32,
        offset: u64,
    ) -> Result<Option<i64>> {
        let state = lock(&self.inner.state);
        let Some(q) = state.queues.get(topic, queue_id) else {
            return Ok(None);
        };
        match q.get(offset)? {
            Some(e) => state.store_time_of(&e),
            None => Ok(None),
        }
    }

    /// The store time of the oldest record still in the commit log; `None` when it is
    /// empty (Java `getEarliestMessageTime`). Blocking.
    pub fn earliest_message_time(&self) -> Result<Option<i64>> {
        let state = lock(&self.inner.state);
        if state.commit_log.write_pos() <= state.commit_log.min_offset() {
            return Ok(None);
        }
        state
            .commit_log
            .first_timestamp(state.commit_log.min_offset())
    }

    /// Deletes every consume queue of `topic`, in memory and on disk (Java
    /// `deleteTopics`); its records stay in the commit log until retention removes them.
    /// Returns whether the topic had queues. Blocking.
    pub fn delete_topic(&self, topic: &str) -> Result<bool> {
        check_topic(topic)?;
        let mut state = lock(&self.inner.state);
        let existed = state.queues.remove_topic(topic);
        let dir = self.inner.config.root.join("consumequeue").join(topic);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(existed),
            Err(e) => Err(e.into()),
        }
    }

    /// Total and free bytes of the filesystem holding the store; `None` when they cannot
    /// be read.
    pub fn disk_space(&self) -> Option<(u64, u64)> {
        super::disk::space(&self.inner.config.root).ok()
    }

    /// Bytes written to the commit log but not yet known to be on disk.
    pub fn unflushed_bytes(&self) -> u64 {
        self.max_phys_offset().saturating_sub(self.flushed_offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_dir::TestDir;
    use rocketmq::protocol::message::Message;

    #[test]
    fn store_times_and_topic_deletion() -> Result<()> {
        let dir = TestDir::new("store-info");
        let mut c = StoreConfig::new(dir.path());
        c.commit_log_segment_size = 64 << 10;
        c.max_record_size = 16 << 10;
        c.index_hash_slots = 8;
        c.index_entries = 16;
        let store = Store::open(c)?;
        assert_eq!(store.earliest_message_time()?, None);
        let msg = |topic: &str| StoredMessage {
            message: Message::new(topic, &b"x"[..]),
            ..StoredMessage::default()
        };
        let a = store.append(msg("A"))?;
        let b = store.append(msg("A"))?;
        store.append(msg("B"))?;
        assert_eq!(store.earliest_message_time()?, Some(a.store_timestamp));
        assert_eq!(
            store.message_store_time("A", 0, 1)?,
            Some(b.store_timestamp)
        );
        assert_eq!(store.message_store_time("A", 0, 2)?, None);
        assert_eq!(store.message_store_time("Z", 0, 0)?, None);
        assert!(store.delete_topic("A")?);
        assert!(!dir.path().join("consumequeue/A").exists());
        assert_eq!(store.max_offset("A", 0), 0);
        assert_eq!(store.max_offset("B", 0), 1);
        assert!(!store.delete_topic("A")?);
        assert!(store.delete_topic("../x").is_err());
        // A new topic of the same name starts over.
        assert_eq!(store.append(msg("A"))?.queue_offset, 0);
        store.close()?;
        let store = Store::open(StoreConfig {
            index_hash_slots: 8,
            index_entries: 16,
            commit_log_segment_size: 64 << 10,
            max_record_size: 16 << 10,
            ..StoreConfig::new(dir.path())
        })?;
        assert_eq!(store.max_offset("A", 0), 1, "deletion survives reopen");
        store.close()
    }
}

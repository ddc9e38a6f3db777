//! Lookups by key through the index (Java `DefaultMessageStore.queryMessage` +
//! `IndexService.queryOffset`).

use super::*;

/// Most offsets one key lookup returns (Java `maxMsgsNumBatch`).
pub const MAX_KEY_LOOKUP: usize = 64;

/// Records found by [`Store::query_messages`].
#[derive(Clone, Debug, Default)]
pub struct QueryResult {
    /// Raw records in commit-log order (a QUERY_MESSAGE body is their concatenation).
    pub records: Vec<Bytes>,
    /// End timestamp of the newest index file when something was found, else 0.
    pub last_update_timestamp: i64,
    /// End phys offset of the newest index file when something was found, else 0.
    pub last_update_phys_offset: i64,
}

impl Store {
    /// Commit-log offsets of `topic`'s records whose unique key or one of whose keys is
    /// `key`, stored within `[begin, end]` (epoch ms), at most `max` (capped at
    /// [`MAX_KEY_LOOKUP`]), newest first. Matches are by 32-bit key hash, as in Java, so a
    /// caller that needs certainty compares the decoded record's keys. Empty when the
    /// index is disabled. Blocking.
    pub fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> Result<KeyLookup> {
        let state = lock(&self.inner.state);
        match state.index.as_ref() {
            Some(index) => index.query(topic, key, max.min(MAX_KEY_LOOKUP), begin, end),
            None => Ok(KeyLookup::default()),
        }
    }

    /// The records [`query_by_key`](Self::query_by_key) points at, in commit-log order;
    /// records no longer stored are skipped. Blocking.
    pub fn query_messages(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> Result<QueryResult> {
        let mut found = self.query_by_key(topic, key, max, begin, end)?;
        let mut result = QueryResult::default();
        if found.phys_offsets.is_empty() {
            return Ok(result);
        }
        found.phys_offsets.sort_unstable();
        result.last_update_timestamp = found.last_update_timestamp;
        result.last_update_phys_offset = found.last_update_phys_offset;
        let state = lock(&self.inner.state);
        for offset in found.phys_offsets {
            if let Some(record) = state.commit_log.read_record(offset)? {
                result.records.push(record);
            }
        }
        Ok(result)
    }

    /// Number of index files (for tests and stats).
    pub fn index_file_count(&self) -> usize {
        lock(&self.inner.state)
            .index
            .as_ref()
            .map_or(0, Index::file_count)
    }
}

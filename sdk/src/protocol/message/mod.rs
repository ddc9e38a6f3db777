//! Messages: the stored/pulled record format, batches, ids, flags and compression.

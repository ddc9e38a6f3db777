//! A fastjson-compatible JSON reader and writer.

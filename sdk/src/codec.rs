//! The frame codec.

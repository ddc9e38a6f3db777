//! Test-only harness for the real Java RocketMQ.

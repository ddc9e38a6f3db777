//! Connections, request/reply matching, hooks and the server side.

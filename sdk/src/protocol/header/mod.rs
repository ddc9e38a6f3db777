//! Typed request and response headers with Java's exact `extFields` names.

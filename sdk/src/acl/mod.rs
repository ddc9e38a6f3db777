//! ACL: signing requests with an access key and secret key, as Java's `AclClientRPCHook`
//! does, and recognising a broker's refusal.
//!
//! Give [`Credentials`] to a client, producer or consumer builder (`credentials(...)`); every
//! request then carries `AccessKey` (and `SecurityToken` when set) and a `Signature` over its
//! ext fields and body, which brokers with ACL enabled check: 4.x with `aclEnable=true` and
//! `plain_acl.yml`, 5.x with `authenticationEnabled`/`authorizationEnabled` (ACL 2.0; a
//! `plain_acl.yml` is migrated with `migrateAuthFromV1Enabled=true`). Credentials are only
//! ever taken from the builder: nothing is read from files or the environment.
//!
//! A refused request fails with [`Error::Broker`], keeping the
//! broker's code and remark; [`Error::is_access_denied`]
//! tells an ACL refusal apart from other broker errors.
//!
//! ```no_run
//! # async fn run() -> rocketmq::Result<()> {
//! use rocketmq::acl::Credentials;
//! use rocketmq::producer::Producer;
//!
//! let producer = Producer::builder()
//!     .namesrv_addr("127.0.0.1:9876")
//!     .credentials(Credentials::new("rocketmq2", "12345678"))
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```

mod refusal;
mod signature;

use std::fmt;

use crate::protocol::{ExtFields, RemotingCommand};
use crate::remoting::RpcHook;
use crate::{Error, Result};

/// The ext field naming the access key (Java `SessionCredentials.ACCESS_KEY`).
pub const ACCESS_KEY: &str = "AccessKey";
/// The ext field carrying the security token, when one is set.
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// The ext field carrying the request's signature.
pub const SIGNATURE: &str = signature::SIGNATURE;

/// An access key, its secret key and an optional security token (Java
/// `SessionCredentials`).
///
/// `Debug` shows the access key only; the secret key and the token are never printed.
///
/// ```
/// use rocketmq::acl::Credentials;
///
/// let creds = Credentials::new("rocketmq2", "12345678").with_security_token("token");
/// assert_eq!(creds.access_key(), "rocketmq2");
/// assert!(!format!("{creds:?}").contains("12345678"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key: String,
    secret_key: String,
    security_token: Option<String>,
}

impl Credentials {
    /// Credentials of `access_key` with `secret_key` and no security token.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        }
    }

    /// Adds a security token, sent as `SecurityToken` and covered by the signature.
    #[must_use]
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// The access key.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The security token, if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// Refuses credentials Java could not sign with: an empty access key or secret key
    /// (`javax.crypto` rejects an empty HMAC key).
    pub(crate) fn validate(&self) -> Result<()> {
        if self.access_key.is_empty() || self.secret_key.is_empty() {
            return Err(Error::Config(
                "ACL credentials need a non-empty access key and secret key".to_owned(),
            ));
        }
        Ok(())
    }

    /// The signature of `request` as it stands (its `Signature` field, if any, excluded).
    pub fn signature(&self, request: &RemotingCommand) -> String {
        let empty = ExtFields::new();
        let fields = request.ext_fields.as_ref().unwrap_or(&empty);
        signature::sign(&self.secret_key, fields, &request.body)
    }

    /// Adds `AccessKey`, `SecurityToken` (when set) and `Signature` to `request`, as Java's
    /// `AclClientRPCHook.doBeforeRequest` does. Call it only once every other ext field and
    /// the body are final.
    pub fn sign(&self, request: &mut RemotingCommand) {
        let fields = request.ext_fields_mut();
        fields.insert(ACCESS_KEY, self.access_key.as_str());
        if let Some(token) = &self.security_token {
            fields.insert(SECURITY_TOKEN, token.as_str());
        }
        let signature = self.signature(request);
        request.ext_fields_mut().insert(SIGNATURE, signature);
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<hidden>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

/// The [`RpcHook`] that signs every request with [`Credentials`] (Java
/// `AclClientRPCHook`).
///
/// The client builders add it after every other hook, so it signs the final ext fields
/// and body. Like Java's hook it leaves responses alone, and it also runs on requests a
/// broker sends to the client (transaction checks, running-info queries); the fields it
/// adds to those are ignored by their handlers.
#[derive(Clone, Debug)]
pub struct SigningHook {
    credentials: Credentials,
}

impl SigningHook {
    /// A hook signing with `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        SigningHook { credentials }
    }

    /// The credentials it signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
}

impl RpcHook for SigningHook {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> Result<()> {
        self.credentials.sign(request);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RequestCode;

    #[test]
    fn debug_hides_secrets() {
        let creds = Credentials::new("ak", "s3cr3t-key").with_security_token("t0ken-value");
        let text = format!("{creds:?}");
        assert!(text.contains("ak"), "{text}");
        assert!(!text.contains("s3cr3t-key"), "{text}");
        assert!(!text.contains("t0ken-value"), "{text}");
        let hook = format!("{:?}", SigningHook::new(creds));
        assert!(
            !hook.contains("s3cr3t-key") && !hook.contains("t0ken-value"),
            "{hook}"
        );
    }

    #[test]
    fn validate_refuses_empty_keys() {
        assert!(Credentials::new("ak", "sk").validate().is_ok());
        assert!(matches!(
            Credentials::new("", "sk").validate(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Credentials::new("ak", "").validate(),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn sign_adds_fields_and_a_signature_over_them() {
        let creds = Credentials::new("rocketmq2", "12345678").with_security_token("tok");
        let mut request = RemotingCommand::request(RequestCode::SEND_MESSAGE)
            .with_ext_field("topic", "TopicTest")
            .with_body(&b"hello"[..]);
        creds.sign(&mut request);
        assert_eq!(request.ext_field(ACCESS_KEY), Some("rocketmq2"));
        assert_eq!(request.ext_field(SECURITY_TOKEN), Some("tok"));
        // Sorted keys: AccessKey, SecurityToken, topic.
        let expected = signature::base64(&signature::hmac_sha1(
            b"12345678",
            &[b"rocketmq2tokTopicTesthello"],
        ));
        assert_eq!(request.ext_field(SIGNATURE), Some(expected.as_str()));
        // Signing again (a resent request) gives the same signature: the old one is not
        // part of the content.
        let first = request.clone();
        creds.sign(&mut request);
        assert_eq!(request, first);
        assert_eq!(creds.signature(&request), expected);
    }

    /// Produced by the real Java hook (4.9.8 and 5.5.0 print the same), with
    /// `rocketmqrs.tools.AclSignature 310 <hex ak> <hex sk> <hex "tok"> <hex "hello">
    /// b=TopicTest U+FF21=x U+1F600=y a=grp` (interop/java/tools; interop/tests/sdk_acl.rs
    /// runs it against this code for more commands). Java's key order puts U+1F600 before
    /// U+FF21, so the signed content is "rocketmq2tokgrpTopicTestyxhello".
    #[test]
    fn java_golden_signature() {
        let creds = Credentials::new("rocketmq2", "12345678").with_security_token("tok");
        let mut request = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
            .with_ext_field("b", "TopicTest")
            .with_ext_field("\u{FF21}", "x")
            .with_ext_field("\u{1F600}", "y")
            .with_ext_field("a", "grp")
            .with_body(&b"hello"[..]);
        creds.sign(&mut request);
        assert_eq!(
            request.ext_field(SIGNATURE),
            Some("3SyryW95IKAXUfxLI4GDbEzW7YE=")
        );
    }

    #[test]
    fn hook_signs_through_the_trait() {
        let hook = SigningHook::new(Credentials::new("rocketmq2", "12345678"));
        let mut request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC)
            .with_ext_field("topic", "TopicTest");
        hook.before_request("127.0.0.1:9876", &mut request).unwrap();
        // The hand-checked vector of the signature module.
        assert_eq!(
            request.ext_field(SIGNATURE),
            Some("GeeGoP9mRvDhoVp4PD5omX0prgE=")
        );
    }
}

//! The settings of a [`Client`](super::Client) and how the defaults are found (Java
//! `ClientConfig` and `NameServerAddressUtils`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::protocol::SerializeType;
use crate::{Error, Result};

/// Environment variable holding the name server addresses (Java reads it too).
pub const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";
/// The Java system property naming the name server addresses; read here from an
/// environment variable of the same name (`env rocketmq.namesrv.addr=... app`).
pub const NAMESRV_ADDR_PROPERTY: &str = "rocketmq.namesrv.addr";
/// The Java system property naming the client instance; read here from an environment
/// variable of the same name.
pub const CLIENT_NAME_PROPERTY: &str = "rocketmq.client.name";
/// The instance name that means "use the process id" (Java `changeInstanceNameToPID`).
pub const DEFAULT_INSTANCE_NAME: &str = "DEFAULT";

/// Java's `pollNameServerInterval`.
pub(crate) const DEFAULT_ROUTE_REFRESH: Duration = Duration::from_secs(30);
/// Java's `heartbeatBrokerInterval`.
pub(crate) const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);
/// Java's `mqClientApiTimeout`.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Time allowed to open a connection (Java's `connectTimeoutMillis`).
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The resolved settings of a [`Client`](super::Client): every default has been filled
/// in, so what is here is what the client uses.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    pub(crate) namesrv_addrs: Vec<String>,
    pub(crate) client_ip: String,
    pub(crate) instance_name: String,
    pub(crate) unit_name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) vip_channel: bool,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) route_refresh_interval: Duration,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) heartbeat_on_connect: bool,
    pub(crate) serialize_type: SerializeType,
}

impl ClientConfig {
    /// The name server addresses, `host:port` each.
    pub fn namesrv_addrs(&self) -> &[String] {
        &self.namesrv_addrs
    }

    /// The IP this client reports in its id.
    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }

    /// The instance name (after Java's `DEFAULT` -> `<pid>#<nanos>` rule).
    pub fn instance_name(&self) -> &str {
        &self.instance_name
    }

    /// The unit name, appended to the client id when set.
    pub fn unit_name(&self) -> Option<&str> {
        self.unit_name.as_deref()
    }

    /// The namespace resources are wrapped in, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Whether requests to brokers go to their VIP port (listen port - 2).
    pub fn vip_channel(&self) -> bool {
        self.vip_channel
    }

    /// Timeout of the client's own requests (routes, heartbeats).
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// How often cached topic routes are fetched again.
    pub fn route_refresh_interval(&self) -> Duration {
        self.route_refresh_interval
    }

    /// How often every broker gets a heartbeat.
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_interval
    }

    /// Whether each new connection to a broker gets a heartbeat at once.
    pub fn heartbeat_on_connect(&self) -> bool {
        self.heartbeat_on_connect
    }

    /// How request headers are serialized.
    pub fn serialize_type(&self) -> SerializeType {
        self.serialize_type
    }

    /// The client id, `ip@instance[@unit]` (Java `buildMQClientId`).
    pub fn client_id(&self) -> String {
        let mut id = format!("{}@{}", self.client_ip, self.instance_name);
        if let Some(unit) = self.unit_name.as_deref().filter(|u| !u.trim().is_empty()) {
            id.push('@');
            id.push_str(unit);
        }
        id
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("namesrv_addrs", &self.namesrv_addrs)
            .field("client_id", &self.client_id())
            .field("namespace", &self.namespace)
            .field("vip_channel", &self.vip_channel)
            .field("request_timeout", &self.request_timeout)
            .field("route_refresh_interval", &self.route_refresh_interval)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("heartbeat_on_connect", &self.heartbeat_on_connect)
            .field("serialize_type", &self.serialize_type)
            .finish_non_exhaustive()
    }
}

/// Settings as given to a builder, before the defaults are looked up.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConfigDraft {
    pub(crate) namesrv_addr: Option<String>,
    pub(crate) client_ip: Option<String>,
    pub(crate) instance_name: Option<String>,
    pub(crate) unit_name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) vip_channel: bool,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) route_refresh_interval: Option<Duration>,
    pub(crate) heartbeat_interval: Option<Duration>,
    pub(crate) heartbeat_on_connect: Option<bool>,
    pub(crate) serialize_type: Option<SerializeType>,
}

impl ConfigDraft {
    /// Fills in every default from the environment and the host.
    pub(crate) fn resolve(self) -> Result<ClientConfig> {
        self.resolve_with(|name| std::env::var(name).ok())
    }

    /// [`resolve`](Self::resolve) with a given environment lookup (for tests).
    pub(crate) fn resolve_with(self, env: impl Fn(&str) -> Option<String>) -> Result<ClientConfig> {
        let namesrv = self
            .namesrv_addr
            .or_else(|| env(NAMESRV_ADDR_ENV))
            .or_else(|| env(NAMESRV_ADDR_PROPERTY))
            .unwrap_or_default();
        let namesrv_addrs = parse_namesrv_addrs(&namesrv);
        if namesrv_addrs.is_empty() {
            return Err(Error::Config(format!(
                "no name server address: set one on the builder, in {NAMESRV_ADDR_ENV} or in \
                 {NAMESRV_ADDR_PROPERTY}"
            )));
        }
        let instance = self
            .instance_name
            .or_else(|| env(CLIENT_NAME_PROPERTY))
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_INSTANCE_NAME.to_owned());
        let instance_name = if instance == DEFAULT_INSTANCE_NAME {
            pid_instance_name()
        } else {
            instance
        };
        let serialize_type = match self.serialize_type {
            Some(kind) => kind,
            None => SerializeType::parse_setting(env(SerializeType::ENV_VAR).as_deref())?,
        };
        let positive =
            |d: Option<Duration>, default: Duration| d.filter(|d| !d.is_zero()).unwrap_or(default);
        Ok(ClientConfig {
            namesrv_addrs,
            client_ip: self.client_ip.unwrap_or_else(|| local_ip().to_string()),
            instance_name,
            unit_name: self.unit_name.filter(|u| !u.trim().is_empty()),
            namespace: self.namespace.filter(|ns| !ns.is_empty()),
            vip_channel: self.vip_channel,
            request_timeout: positive(self.request_timeout, DEFAULT_REQUEST_TIMEOUT),
            connect_timeout: positive(self.connect_timeout, DEFAULT_CONNECT_TIMEOUT),
            route_refresh_interval: positive(self.route_refresh_interval, DEFAULT_ROUTE_REFRESH),
            heartbeat_interval: positive(self.heartbeat_interval, DEFAULT_HEARTBEAT),
            heartbeat_on_connect: self.heartbeat_on_connect.unwrap_or(true),
            serialize_type,
        })
    }
}

/// Splits Java's `;`-separated address list. A 5.x-style `http://host/...` endpoint
/// contributes the part after its last `/`, as Java 5.x's `getNamesrvAddr` does.
pub(crate) fn parse_namesrv_addrs(value: &str) -> Vec<String> {
    let value = value.trim();
    let value = if value.starts_with("http://") {
        value.rsplit('/').next().unwrap_or_default()
    } else {
        value
    };
    value
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Java's `DEFAULT` instance name rule: `<pid>#<nanoseconds>`, so two clients in one
/// process get different ids unless they are given a name.
fn pid_instance_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{}#{}", std::process::id(), nanos)
}

/// The address this host uses to reach other hosts: the source address of a route to a
/// public address (no packet is sent), else loopback. Java enumerates the interfaces and
/// prefers a non-loopback IPv4 address, which is what the route lookup yields on a host
/// with a default route.
pub(crate) fn local_ip() -> IpAddr {
    let probe = || -> std::io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    match probe() {
        Ok(ip) if !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// The VIP channel address of a broker (Java `MixAll.brokerVIPChannel`): the same host,
/// port minus 2. Addresses that do not end in a port are returned unchanged.
pub fn vip_addr(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u32>() {
            Ok(port) if port >= 2 => format!("{host}:{}", port - 2),
            _ => addr.to_owned(),
        },
        None => addr.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn namesrv_order_builder_env_property() {
        let vars = [
            (NAMESRV_ADDR_ENV, "10.0.0.1:9876"),
            (NAMESRV_ADDR_PROPERTY, "10.0.0.2:9876"),
        ];
        let draft = ConfigDraft {
            namesrv_addr: Some("a:1;b:2".into()),
            client_ip: Some("1.2.3.4".into()),
            ..Default::default()
        };
        let config = draft.clone().resolve_with(env_of(&vars)).unwrap();
        assert_eq!(config.namesrv_addrs(), ["a:1", "b:2"]);
        let config = ConfigDraft {
            namesrv_addr: None,
            ..draft.clone()
        }
        .resolve_with(env_of(&vars))
        .unwrap();
        assert_eq!(config.namesrv_addrs(), ["10.0.0.1:9876"]);
        let config = ConfigDraft {
            namesrv_addr: None,
            ..draft.clone()
        }
        .resolve_with(env_of(&vars[1..]))
        .unwrap();
        assert_eq!(config.namesrv_addrs(), ["10.0.0.2:9876"]);
        let none = ConfigDraft {
            namesrv_addr: None,
            ..draft
        }
        .resolve_with(env_of(&[]));
        assert!(matches!(none, Err(Error::Config(_))));
    }

    #[test]
    fn address_lists() {
        assert_eq!(parse_namesrv_addrs(" a:1 ; ;b:2;"), ["a:1", "b:2"]);
        assert_eq!(
            parse_namesrv_addrs("http://endpoint.example/ns:9876"),
            ["ns:9876"]
        );
        assert!(parse_namesrv_addrs("  ").is_empty());
        assert_eq!(vip_addr("127.0.0.1:10911"), "127.0.0.1:10909");
        assert_eq!(vip_addr("[::1]:10911"), "[::1]:10909");
        assert_eq!(vip_addr("host"), "host");
        assert_eq!(vip_addr("host:1"), "host:1");
    }

    #[test]
    fn client_id_and_instance_name() {
        let base = ConfigDraft {
            namesrv_addr: Some("a:1".into()),
            client_ip: Some("10.1.2.3".into()),
            ..Default::default()
        };
        let named = ConfigDraft {
            instance_name: Some("app".into()),
            unit_name: Some("unit".into()),
            ..base.clone()
        }
        .resolve_with(env_of(&[]))
        .unwrap();
        assert_eq!(named.client_id(), "10.1.2.3@app@unit");
        let from_env = base
            .clone()
            .resolve_with(env_of(&[(CLIENT_NAME_PROPERTY, "envname")]))
            .unwrap();
        assert_eq!(from_env.client_id(), "10.1.2.3@envname");
        let default = base.resolve_with(env_of(&[])).unwrap();
        let (pid, nanos) = default.instance_name().split_once('#').unwrap();
        assert_eq!(pid, std::process::id().to_string());
        assert!(nanos.parse::<u128>().is_ok());
        assert_eq!(default.request_timeout(), DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(default.heartbeat_interval(), Duration::from_secs(30));
        assert_eq!(default.serialize_type(), SerializeType::Json);
    }

    #[test]
    fn serialize_type_from_env() {
        let draft = ConfigDraft {
            namesrv_addr: Some("a:1".into()),
            ..Default::default()
        };
        let config = draft
            .clone()
            .resolve_with(env_of(&[(SerializeType::ENV_VAR, "ROCKETMQ")]))
            .unwrap();
        assert_eq!(config.serialize_type(), SerializeType::RocketMq);
        assert!(
            draft
                .resolve_with(env_of(&[(SerializeType::ENV_VAR, "XML")]))
                .is_err()
        );
    }
}

//! GET_NAMESRV_CONFIG (319) and UPDATE_NAMESRV_CONFIG (318): the name server's settings as
//! Java properties text (`key=value` lines), with broker-lite's config keys.
//!
//! Updatable at run time: `broker_expiry`, `scan_interval` (takes effect after the next
//! scan), `order_message_enable`, `delete_topic_with_broker_registration`. `listen` is
//! refused with NO_PERMISSION like Java's config black list; unknown keys are ignored, as
//! Java's `Configuration.update` ignores them.

use rocketmq::protocol::{RemotingCommand, ResponseCode};
use rocketmq::remoting::RequestContext;
use rocketmq::{Error, Result};
use tracing::info;

use super::Shared;
use crate::config::{NamesrvConfig, duration};

/// Keys that cannot change while running (Java `configBlackList`).
const BLACK_LIST: &[&str] = &["listen"];

/// The config as `key=value` lines.
pub(crate) fn to_properties(config: &NamesrvConfig) -> String {
    format!(
        "listen={}\nbroker_expiry={}\nscan_interval={}\norder_message_enable={}\n\
         delete_topic_with_broker_registration={}\n",
        config.listen,
        duration::format(config.broker_expiry),
        duration::format(config.scan_interval),
        config.order_message_enable,
        config.delete_topic_with_broker_registration,
    )
}

/// Reads `key=value` (or `key:value`) lines; blank lines and `#`/`!` comments are skipped.
fn parse_properties(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .map(|l| match l.find(['=', ':']) {
            Some(i) => (l[..i].trim(), l[i + 1..].trim()),
            None => (l, ""),
        })
        .collect()
}

/// Applies `updates` to a copy of `config`; the copy is returned only if all values parse
/// and it validates.
fn apply(config: &NamesrvConfig, updates: &[(&str, &str)]) -> Result<NamesrvConfig> {
    let mut next = config.clone();
    let invalid = |field: &'static str, value: &str| Error::InvalidField {
        field,
        value: value.to_owned(),
    };
    for (key, value) in updates {
        match *key {
            "broker_expiry" => {
                next.broker_expiry =
                    duration::parse(value).map_err(|_| invalid("broker_expiry", value))?;
            }
            "scan_interval" => {
                next.scan_interval =
                    duration::parse(value).map_err(|_| invalid("scan_interval", value))?;
            }
            "order_message_enable" => {
                next.order_message_enable = value
                    .parse()
                    .map_err(|_| invalid("order_message_enable", value))?;
            }
            "delete_topic_with_broker_registration" => {
                next.delete_topic_with_broker_registration = value
                    .parse()
                    .map_err(|_| invalid("delete_topic_with_broker_registration", value))?;
            }
            _ => {}
        }
    }
    next.validate().map_err(|e| Error::InvalidField {
        field: "namesrv config",
        value: e.to_string(),
    })?;
    Ok(next)
}

pub(super) fn get(
    shared: &Shared,
    _ctx: &RequestContext,
    _request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let text = to_properties(&shared.config());
    Ok(RemotingCommand::response(ResponseCode::SUCCESS).with_body(text.into_bytes()))
}

pub(super) fn update(
    shared: &Shared,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    info!(client = ctx.peer_addr(), "update name server config");
    let Ok(text) = std::str::from_utf8(&request.body) else {
        return Ok(RemotingCommand::error_response(
            ResponseCode::SYSTEM_ERROR,
            "string2Properties error",
        ));
    };
    let updates = parse_properties(text);
    if updates.iter().any(|(k, _)| BLACK_LIST.contains(k)) {
        return Ok(RemotingCommand::error_response(
            ResponseCode::NO_PERMISSION,
            "Can not update config in black list.",
        ));
    }
    let next = match apply(&shared.config(), &updates) {
        Ok(next) => next,
        Err(e) => {
            return Ok(RemotingCommand::error_response(
                ResponseCode::SYSTEM_ERROR,
                e.to_string(),
            ));
        }
    };
    shared.set_config(next);
    Ok(RemotingCommand::response(ResponseCode::SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_round_trip_and_updates() {
        let config = NamesrvConfig::default();
        let text = to_properties(&config);
        let parsed = parse_properties(&text);
        assert_eq!(parsed.len(), 5);
        assert_eq!(apply(&config, &parsed).unwrap(), config);
        let next = apply(
            &config,
            &parse_properties("# c\nbroker_expiry = 3s\norder_message_enable:true\nx=1\n"),
        )
        .unwrap();
        assert_eq!(next.broker_expiry, std::time::Duration::from_secs(3));
        assert!(next.order_message_enable);
        assert!(apply(&config, &[("broker_expiry", "soon")]).is_err());
        assert!(apply(&config, &[("scan_interval", "0s")]).is_err());
    }
}

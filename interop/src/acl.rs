//! ACL for the Java brokers the harness starts: accounts written to
//! `$ROCKETMQ_HOME/conf/plain_acl.yml`, and the broker settings that make each release
//! enforce them.
//!
//! - 4.9.8 checks every request against `plain_acl.yml` when `aclEnable=true`
//!   (`PlainAccessValidator`).
//! - 5.x has no `plain_acl.yml` validator any more (ACL 2.0): with
//!   `authenticationEnabled`/`authorizationEnabled`, local metadata providers and
//!   `migrateAuthFromV1Enabled=true`, the broker turns the same file into users and ACLs at
//!   start-up (admin accounts become super users, `topicPerms`/`groupPerms` custom policies,
//!   the default permissions default policies).

use std::fmt::Write as _;
use std::path::Path;

use crate::java::JavaVersion;

/// One account of `plain_acl.yml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclAccount {
    /// `accessKey`.
    pub access_key: String,
    /// `secretKey`.
    pub secret_key: String,
    /// `admin`: may do everything (5.x: a super user).
    pub admin: bool,
    /// `defaultTopicPerm`: `DENY`, `PUB`, `SUB` or `PUB|SUB`.
    pub default_topic_perm: String,
    /// `defaultGroupPerm`.
    pub default_group_perm: String,
    /// `topicPerms`, each `topic=PERM`.
    pub topic_perms: Vec<String>,
    /// `groupPerms`, each `group=PERM`.
    pub group_perms: Vec<String>,
}

impl AclAccount {
    /// An account that may do everything.
    pub fn admin(access_key: &str, secret_key: &str) -> Self {
        AclAccount {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            admin: true,
            default_topic_perm: "PUB|SUB".to_owned(),
            default_group_perm: "PUB|SUB".to_owned(),
            topic_perms: Vec::new(),
            group_perms: Vec::new(),
        }
    }

    /// A plain account denied every topic and group except the permissions given.
    pub fn user(
        access_key: &str,
        secret_key: &str,
        topic_perms: &[&str],
        group_perms: &[&str],
    ) -> Self {
        AclAccount {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            admin: false,
            default_topic_perm: "DENY".to_owned(),
            default_group_perm: "DENY".to_owned(),
            topic_perms: topic_perms.iter().map(|p| (*p).to_owned()).collect(),
            group_perms: group_perms.iter().map(|p| (*p).to_owned()).collect(),
        }
    }
}

/// The ACL of one Java broker: its accounts. The first admin account is also the one the
/// Java tools (`conf/tools.yml`) and, on 5.x, the broker's own internal client use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JavaAcl {
    /// The accounts, in file order.
    pub accounts: Vec<AclAccount>,
}

impl JavaAcl {
    /// An ACL with these accounts.
    pub fn new(accounts: Vec<AclAccount>) -> Self {
        JavaAcl { accounts }
    }

    fn first_admin(&self) -> Option<&AclAccount> {
        self.accounts.iter().find(|a| a.admin)
    }

    /// The `plain_acl.yml` text (no global white addresses: loopback is checked too).
    pub fn plain_acl_yml(&self) -> String {
        let mut out = String::from("globalWhiteRemoteAddresses:\n\naccounts:\n");
        let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
        for a in &self.accounts {
            let _ = writeln!(out, "  - accessKey: {}", quoted(&a.access_key));
            let _ = writeln!(out, "    secretKey: {}", quoted(&a.secret_key));
            let _ = writeln!(out, "    whiteRemoteAddress:");
            let _ = writeln!(out, "    admin: {}", a.admin);
            let _ = writeln!(
                out,
                "    defaultTopicPerm: {}",
                quoted(&a.default_topic_perm)
            );
            let _ = writeln!(
                out,
                "    defaultGroupPerm: {}",
                quoted(&a.default_group_perm)
            );
            for (name, perms) in [
                ("topicPerms", &a.topic_perms),
                ("groupPerms", &a.group_perms),
            ] {
                if perms.is_empty() {
                    let _ = writeln!(out, "    {name}: []");
                } else {
                    let _ = writeln!(out, "    {name}:");
                    for p in perms {
                        let _ = writeln!(out, "      - {}", quoted(p));
                    }
                }
            }
        }
        out
    }

    /// The broker settings that enforce the ACL on `version`.
    pub fn broker_conf(&self, version: JavaVersion) -> Vec<(String, String)> {
        let pairs: Vec<(&str, String)> = match version {
            JavaVersion::V4_9_8 => vec![("aclEnable", "true".to_owned())],
            JavaVersion::V5 => {
                let mut conf = vec![
                    ("authenticationEnabled", "true".to_owned()),
                    ("authorizationEnabled", "true".to_owned()),
                    (
                        "authenticationProvider",
                        "org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider".to_owned(),
                    ),
                    (
                        "authenticationMetadataProvider",
                        "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider"
                            .to_owned(),
                    ),
                    (
                        "authorizationProvider",
                        "org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider".to_owned(),
                    ),
                    (
                        "authorizationMetadataProvider",
                        "org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider"
                            .to_owned(),
                    ),
                    ("migrateAuthFromV1Enabled", "true".to_owned()),
                ];
                if let Some(admin) = self.first_admin() {
                    conf.push((
                        "innerClientAuthenticationCredentials",
                        serde_json::json!({"accessKey": admin.access_key, "secretKey": admin.secret_key})
                            .to_string(),
                    ));
                }
                conf
            }
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Writes `conf/plain_acl.yml` (and `conf/tools.yml` with the first admin account, for
    /// the Java tools) under the broker's `ROCKETMQ_HOME`.
    pub(crate) fn write_files(&self, home: &Path) -> anyhow::Result<()> {
        let conf = home.join("conf");
        std::fs::create_dir_all(&conf)?;
        std::fs::write(conf.join("plain_acl.yml"), self.plain_acl_yml())?;
        if let Some(admin) = self.first_admin() {
            let tools = format!(
                "accessKey: '{}'\nsecretKey: '{}'\n",
                admin.access_key.replace('\'', "''"),
                admin.secret_key.replace('\'', "''")
            );
            std::fs::write(conf.join("tools.yml"), tools)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yml_lists_every_account() {
        let acl = JavaAcl::new(vec![
            AclAccount::admin("admin", "s'1"),
            AclAccount::user("u", "s2", &["T=PUB|SUB"], &[]),
        ]);
        let yml = acl.plain_acl_yml();
        assert!(
            yml.contains("  - accessKey: 'admin'\n    secretKey: 's''1'\n"),
            "{yml}"
        );
        assert!(
            yml.contains("    topicPerms:\n      - 'T=PUB|SUB'\n    groupPerms: []\n"),
            "{yml}"
        );
        assert!(yml.contains("defaultTopicPerm: 'DENY'"), "{yml}");
        let v5 = acl.broker_conf(JavaVersion::V5);
        assert!(
            v5.iter().any(
                |(k, v)| k == "innerClientAuthenticationCredentials" && v.contains("\"admin\"")
            )
        );
        assert_eq!(
            acl.broker_conf(JavaVersion::V4_9_8),
            [("aclEnable".to_owned(), "true".to_owned())]
        );
    }
}

//! Configuration: an optional TOML file, then environment overrides.
//!
//! Precedence, lowest first: built-in defaults, the file (`--config FILE` or
//! `REDEEMDESK_CONFIG`), the standard names (`DATABASE_URL`, `TELOXIDE_TOKEN`,
//! `DISCORD_TOKEN`), then `REDEEMDESK_<SECTION>__<KEY>`. Secrets are
//! `SecretString`s: their `Debug` prints `[REDACTED]`, and nothing here prints them.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

pub const ENV_PREFIX: &str = "REDEEMDESK";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub storage: StorageConfig,
    pub telegram: TelegramConfig,
    pub discord: DiscordConfig,
    pub imap: ImapConfig,
    pub smtp: SmtpConfig,
    pub review: ReviewConfig,
    pub support: SupportConfig,
    pub broadcast: BroadcastConfig,
    pub precheck: PrecheckConfig,
    pub log: LogConfig,
}

/// The invoice pre-check (`src/precheck`): the programs that read re-uploaded
/// invoices, and how far they may go on one file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrecheckConfig {
    pub enabled: bool,
    pub tesseract: PathBuf,
    pub pdftotext: PathBuf,
    pub pdftoppm: PathBuf,
    pub languages: String,
    pub page_segmentation: u8,
    pub timeout_seconds: u64,
    pub max_pixels: u64,
    pub max_side: u32,
    pub min_side: u32,
    pub max_text_bytes: usize,
}

impl Default for PrecheckConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            tesseract: PathBuf::from("tesseract"),
            pdftotext: PathBuf::from("pdftotext"),
            pdftoppm: PathBuf::from("pdftoppm"),
            languages: "ind+eng".into(),
            page_segmentation: 6,
            timeout_seconds: 15,
            max_pixels: 40_000_000,
            max_side: 2400,
            min_side: 1400,
            max_text_bytes: 16 * 1024,
        }
    }
}

/// When agents answer escalations (working days are the review calendar's:
/// Monday to Friday minus `review.holidays`), and what wait to promise.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportConfig {
    /// Jakarta time, `HH:MM`.
    #[serde(with = "hh_mm")]
    pub opens: chrono::NaiveTime,
    #[serde(with = "hh_mm")]
    pub closes: chrono::NaiveTime,
    pub expected_wait_minutes: u32,
}

impl Default for SupportConfig {
    fn default() -> Self {
        let hours = crate::domain::SupportHours::default();
        Self {
            opens: hours.opens,
            closes: hours.closes,
            expected_wait_minutes: 60,
        }
    }
}

mod hh_mm {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        chrono::NaiveTime::parse_from_str(&s, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a time of day as HH:MM")))
    }
}

/// How log lines are written (the filter stays `REDEEMDESK_LOG`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// `text` for people at a terminal, `json` (one object per line) for log collectors.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The review queue: when a claim counts as overdue, how long a reviewer's
/// claim on an entry lasts, and which weekdays are not working days.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewConfig {
    /// The guide promises 7–14 working days; older entries are flagged.
    pub overdue_after_days: u32,
    pub lease_minutes: u32,
    /// Public holidays and collective leave days, `YYYY-MM-DD`.
    pub holidays: Vec<chrono::NaiveDate>,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            overdue_after_days: 14,
            lease_minutes: 15,
            holidays: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` or `postgres://…`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://redeemdesk.db".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Address the HTTP server listens on; port 0 picks a free port.
    pub bind: String,
    pub admin_token: Option<SecretString>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            admin_token: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Directory where invoices and other attachments are kept (when no
    /// `s3_bucket` is set).
    pub blob_dir: PathBuf,
    /// An S3-compatible bucket all replicas share; set, it replaces `blob_dir`.
    pub s3_bucket: Option<String>,
    /// The store's URL for path-style requests (MinIO and the like); unset: AWS S3.
    pub s3_endpoint: Option<String>,
    /// Default `us-east-1`.
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<SecretString>,
    /// Folder in the bucket the blobs are kept under.
    pub s3_prefix: Option<String>,
    /// Allow a plain `http://` endpoint (loopback only).
    pub s3_allow_http: bool,
    /// How long one attempt of one request may take, body included.
    pub s3_timeout_seconds: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            blob_dir: PathBuf::from("blobs"),
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_prefix: None,
            s3_allow_http: false,
            s3_timeout_seconds: 60,
        }
    }
}

impl StorageConfig {
    /// With a bucket: both keys, and an endpoint that is an http(s) URL
    /// (plain http only with `s3_allow_http`). Without one: no other `s3_*` key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let Some(bucket) = &self.s3_bucket else {
            let stray = [
                ("s3_endpoint", self.s3_endpoint.is_some()),
                ("s3_region", self.s3_region.is_some()),
                ("s3_access_key_id", self.s3_access_key_id.is_some()),
                ("s3_secret_access_key", self.s3_secret_access_key.is_some()),
                ("s3_prefix", self.s3_prefix.is_some()),
            ];
            if let Some((key, _)) = stray.iter().find(|(_, set)| *set) {
                return Err(ConfigError(format!(
                    "storage.{key} is set but storage.s3_bucket is not: blobs would stay in storage.blob_dir"
                )));
            }
            return Ok(());
        };
        if bucket.trim().is_empty() || bucket.contains('/') {
            return Err(ConfigError(format!(
                "storage.s3_bucket {bucket:?} is not a bucket name"
            )));
        }
        if self.s3_access_key_id.is_none() || self.s3_secret_access_key.is_none() {
            return Err(ConfigError(
                "storage.s3_bucket needs storage.s3_access_key_id and storage.s3_secret_access_key".into(),
            ));
        }
        if let Some(endpoint) = &self.s3_endpoint {
            match endpoint.split_once("://") {
                Some(("https", rest)) if !rest.is_empty() => {}
                Some(("http", rest)) if !rest.is_empty() => {
                    if !self.s3_allow_http {
                        return Err(ConfigError(format!(
                            "storage.s3_endpoint {endpoint:?} is plain http: set storage.s3_allow_http = true \
                             (loopback only) or use https"
                        )));
                    }
                }
                _ => {
                    return Err(ConfigError(format!(
                        "storage.s3_endpoint {endpoint:?} is not an http(s) URL"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    pub token: Option<SecretString>,
    pub api_url: Option<String>,
    pub staff_chat_id: Option<i64>,
    /// The public HTTPS URL that reaches `/telegram/webhook` on `http.bind`.
    /// Set: webhook mode. Unset: long polling.
    pub webhook_url: Option<String>,
    /// The secret Telegram sends with each webhook call; derived from the
    /// token when unset (the same on every replica).
    pub webhook_secret: Option<SecretString>,
    /// The bot's sending budget, all chats together (default 30, Telegram's
    /// published limit; more for paid broadcasts).
    pub messages_per_second: Option<u32>,
    /// The budget per chat (default 1).
    pub messages_per_chat_per_second: Option<u32>,
    /// Telegram user ids allowed to start broadcasts from the staff group
    /// (a list, or comma separated in the environment).
    #[serde(deserialize_with = "id_list::deserialize")]
    pub marketing_user_ids: Vec<i64>,
}

/// A list of ids from TOML (`[1, 2]`) or the environment (`"1,2"`).
mod id_list {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ids {
        List(Vec<i64>),
        One(i64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        match Ids::deserialize(d)? {
            Ids::List(ids) => Ok(ids),
            Ids::One(id) => Ok(vec![id]),
            Ids::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse()
                        .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a numeric user id")))
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    pub token: Option<SecretString>,
    /// Where claims and escalations are posted for staff.
    pub staff_channel_id: Option<u64>,
    /// Only members with this role may decide claims from the staff channel.
    pub staff_role_id: Option<u64>,
    pub api_url: Option<String>,
    /// A public channel where each broadcast is also posted.
    pub announcement_channel_id: Option<u64>,
    /// Only members with this role may start broadcasts from the staff channel.
    pub marketing_role_id: Option<u64>,
    /// Gateway shards over all replicas together. Unset (and `shards` unset):
    /// one shard, this process.
    pub shard_count: Option<u32>,
    /// The shards this replica runs, `"FIRST-LAST"` or `"N"`, inside
    /// `0..shard_count`. Unset with `shard_count` set: all of them.
    pub shards: Option<String>,
}

impl DiscordConfig {
    /// The shards this replica runs; `None`: the single shard of an unsharded bot.
    pub fn shard_range(&self) -> Result<Option<crate::channels::discord::ShardRange>, ConfigError> {
        crate::channels::discord::ShardRange::from_config(self.shards.as_deref(), self.shard_count).map_err(ConfigError)
    }
}

/// Sending broadcasts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BroadcastConfig {
    /// How long a sender's hold on a campaign lasts without renewal: after a
    /// crash, another process resumes the campaign this long after.
    pub lease_seconds: u64,
    /// How often progress is shown (terminal, staff channels).
    pub report_seconds: u64,
}

impl Default for BroadcastConfig {
    fn default() -> Self {
        Self {
            lease_seconds: 30,
            report_seconds: 5,
        }
    }
}

impl BroadcastConfig {
    pub fn runner_options(&self) -> crate::broadcast::RunnerOptions {
        crate::broadcast::RunnerOptions {
            lease: std::time::Duration::from_secs(self.lease_seconds.max(1)),
            report_every: std::time::Duration::from_secs(self.report_seconds.max(1)),
            ..Default::default()
        }
    }
}

/// How a mail connection is secured.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text: loopback and tests only.
    None,
    Starttls,
    /// Implicit TLS from the first byte.
    #[default]
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub mailbox: String,
    pub processed_mailbox: String,
    pub quarantine_mailbox: String,
    /// Use IMAP IDLE when the server offers it; otherwise poll.
    pub idle: bool,
    pub poll_seconds: u64,
    /// A PEM certificate to trust as the only root (a private CA or the test server's own).
    pub ca_file: Option<PathBuf>,
    /// An email larger than this (in MB, as the server counts it) is moved to
    /// the quarantine mailbox unread, with a staff alert.
    pub max_message_mb: u32,
}

impl Default for ImapConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: None,
            tls: TlsMode::Tls,
            username: None,
            password: None,
            mailbox: "INBOX".into(),
            processed_mailbox: "Processed".into(),
            quarantine_mailbox: "Quarantine".into(),
            idle: true,
            poll_seconds: 60,
            ca_file: None,
            max_message_mb: 40,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    /// Default: 25 (`none`), 587 (`starttls`), 465 (`tls`).
    pub port: Option<u16>,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The sender, e.g. `MSI Indonesia Promotion <promo@example.com>`.
    pub from: Option<String>,
    /// Replies to rejection emails go to `<from's local part>+<token>@<reply_domain>`;
    /// default: the domain of `from`.
    pub reply_domain: Option<String>,
    /// A PEM certificate to trust besides the system's (a private CA, a test server).
    pub ca_file: Option<PathBuf>,
    /// Days a reply handle in a rejection email stays valid.
    pub reply_handle_days: u32,
    /// SMTP connections kept open for reuse.
    pub pool_size: u32,
    pub timeout_seconds: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: None,
            tls: TlsMode::default(),
            username: None,
            password: None,
            from: None,
            reply_domain: None,
            ca_file: None,
            reply_handle_days: 60,
            pool_size: 4,
            timeout_seconds: 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads the configuration from an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Like [`Config::load`], with the environment given explicitly (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env: std::collections::HashMap<String, String> =
            env.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect();
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!("file {} does not exist", path.display())));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        // Standard names sit between the file and our own prefixed variables.
        for (standard, key) in [
            ("DATABASE_URL", "database.url"),
            ("TELOXIDE_TOKEN", "telegram.token"),
            ("DISCORD_TOKEN", "discord.token"),
        ] {
            if let Some(value) = env.get(standard) {
                builder = builder
                    .set_override(key, value.clone())
                    .map_err(|e| ConfigError(e.to_string()))?;
            }
        }
        // Our own variables win: REDEEMDESK_SECTION__KEY → section.key.
        for (name, value) in &env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX).and_then(|r| r.strip_prefix('_')) else {
                continue;
            };
            let Some((section, key)) = rest.split_once("__") else {
                continue;
            };
            let key = format!("{}.{}", section.to_lowercase(), key.to_lowercase());
            builder = builder
                .set_override(key, value.clone())
                .map_err(|e| ConfigError(e.to_string()))?;
        }
        let built = builder.build().map_err(|e| ConfigError(e.to_string()))?;
        let config: Config = built.try_deserialize().map_err(|e| ConfigError(e.to_string()))?;
        config.storage.validate()?;
        config.discord.shard_range()?;
        if config.support.opens >= config.support.closes {
            return Err(ConfigError(format!(
                "support.opens ({}) must be before support.closes ({})",
                config.support.opens.format("%H:%M"),
                config.support.closes.format("%H:%M")
            )));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn support_hours_are_read_and_checked() {
        let c = Config::load_from(
            None,
            env(&[
                ("REDEEMDESK_SUPPORT__OPENS", "09:30"),
                ("REDEEMDESK_SUPPORT__CLOSES", "18:00"),
            ]),
        )
        .unwrap();
        assert_eq!(c.support.opens.format("%H:%M").to_string(), "09:30");
        let inverted = Config::load_from(
            None,
            env(&[
                ("REDEEMDESK_SUPPORT__OPENS", "18:00"),
                ("REDEEMDESK_SUPPORT__CLOSES", "09:00"),
            ]),
        );
        assert!(inverted.unwrap_err().to_string().contains("support.opens"));
        let garbage = Config::load_from(None, env(&[("REDEEMDESK_SUPPORT__OPENS", "nine")]));
        assert!(garbage.unwrap_err().to_string().contains("HH:MM"));
    }

    #[test]
    fn defaults_without_anything() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert_eq!(c.database.url, "sqlite://redeemdesk.db");
        assert_eq!(c.http.bind, "127.0.0.1:8080");
        assert!(c.telegram.token.is_none());
    }

    #[test]
    fn file_then_standard_names_then_prefixed_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redeemdesk.toml");
        std::fs::write(
            &path,
            "[database]\nurl = \"sqlite://from-file.db\"\n[imap]\nhost = \"mail.example.test\"\nport = 993\n[telegram]\ntoken = \"file-token\"\n",
        )
        .unwrap();
        let c = Config::load_from(Some(&path), env(&[])).unwrap();
        assert_eq!(c.database.url, "sqlite://from-file.db");
        assert_eq!(c.imap.port, Some(993));

        let c = Config::load_from(
            Some(&path),
            env(&[("DATABASE_URL", "postgres://x/y"), ("TELOXIDE_TOKEN", "std-token")]),
        )
        .unwrap();
        assert_eq!(c.database.url, "postgres://x/y");
        assert_eq!(c.telegram.token.unwrap().expose_secret(), "std-token");

        let c = Config::load_from(
            Some(&path),
            env(&[
                ("DATABASE_URL", "postgres://x/y"),
                ("REDEEMDESK_DATABASE__URL", "sqlite://env.db"),
                ("REDEEMDESK_IMAP__PORT", "1143"),
                ("REDEEMDESK_IMAP__TLS", "none"),
                ("REDEEMDESK_TELEGRAM__STAFF_CHAT_ID", "-100123"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database.url, "sqlite://env.db");
        assert_eq!(c.imap.port, Some(1143));
        assert_eq!(c.imap.tls, TlsMode::None);
        assert_eq!(c.telegram.staff_chat_id, Some(-100123));
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        let c = Config::load_from(None, env(&[("DISCORD_TOKEN", "very-secret-token")])).unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("very-secret-token"), "{printed}");
    }

    #[test]
    fn clear_errors_for_bad_values_and_missing_files() {
        let err = Config::load_from(None, env(&[("REDEEMDESK_IMAP__PORT", "not-a-port")])).unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        let err = Config::load_from(Some(Path::new("/nonexistent/x.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let err = Config::load_from(None, env(&[("REDEEMDESK_SMTP__HOSTT", "x")])).unwrap_err();
        assert!(err.to_string().contains("hostt"), "{err}");
    }

    #[test]
    fn storage_bucket_from_the_environment_and_its_checks() {
        let c = Config::load_from(None, env(&[])).unwrap();
        assert!(c.storage.s3_bucket.is_none() && !c.storage.s3_allow_http);
        assert_eq!(c.storage.s3_timeout_seconds, 60);
        let bucket = [
            ("REDEEMDESK_STORAGE__S3_BUCKET", "invoices"),
            ("REDEEMDESK_STORAGE__S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("REDEEMDESK_STORAGE__S3_ALLOW_HTTP", "true"),
            ("REDEEMDESK_STORAGE__S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("REDEEMDESK_STORAGE__S3_SECRET_ACCESS_KEY", "very-secret-key"),
            ("REDEEMDESK_STORAGE__S3_PREFIX", "redeemdesk/blobs"),
            ("REDEEMDESK_STORAGE__S3_REGION", "ap-southeast-3"),
            ("REDEEMDESK_STORAGE__S3_TIMEOUT_SECONDS", "5"),
        ];
        let c = Config::load_from(None, env(&bucket)).unwrap();
        assert_eq!(c.storage.s3_bucket.as_deref(), Some("invoices"));
        assert_eq!(c.storage.s3_endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(c.storage.s3_allow_http);
        assert_eq!(c.storage.s3_region.as_deref(), Some("ap-southeast-3"));
        assert_eq!(c.storage.s3_prefix.as_deref(), Some("redeemdesk/blobs"));
        assert_eq!(c.storage.s3_timeout_seconds, 5);
        assert_eq!(
            c.storage.s3_secret_access_key.as_ref().unwrap().expose_secret(),
            "very-secret-key"
        );
        assert!(!format!("{c:?}").contains("very-secret-key"));

        let without = |name: &str| bucket.iter().filter(|(k, _)| *k != name).copied().collect::<Vec<_>>();
        let err = Config::load_from(None, env(&without("REDEEMDESK_STORAGE__S3_SECRET_ACCESS_KEY"))).unwrap_err();
        assert!(err.to_string().contains("s3_secret_access_key"), "{err}");
        let err = Config::load_from(None, env(&without("REDEEMDESK_STORAGE__S3_ALLOW_HTTP"))).unwrap_err();
        assert!(err.to_string().contains("s3_allow_http"), "{err}");
        let err = Config::load_from(None, env(&without("REDEEMDESK_STORAGE__S3_BUCKET"))).unwrap_err();
        assert!(err.to_string().contains("s3_bucket is not"), "{err}");
        let mut bad = bucket.to_vec();
        bad[1].1 = "minio:9000";
        let err = Config::load_from(None, env(&bad)).unwrap_err();
        assert!(err.to_string().contains("not an http(s) URL"), "{err}");
    }

    #[test]
    fn discord_shards_are_checked_when_loading() {
        let shards =
            |pairs: &[(&str, &str)]| Config::load_from(None, env(pairs)).map(|c| c.discord.shard_range().unwrap());
        assert_eq!(shards(&[]).unwrap(), None, "unsharded by default");
        let r = shards(&[
            ("REDEEMDESK_DISCORD__SHARD_COUNT", "4"),
            ("REDEEMDESK_DISCORD__SHARDS", "2-3"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((r.first, r.last, r.total), (2, 3, 4));
        let r = shards(&[
            ("REDEEMDESK_DISCORD__SHARD_COUNT", "2"),
            ("REDEEMDESK_DISCORD__SHARDS", "1"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((r.first, r.last, r.total), (1, 1, 2));
        let all = shards(&[("REDEEMDESK_DISCORD__SHARD_COUNT", "3")]).unwrap().unwrap();
        assert_eq!((all.first, all.last, all.total), (0, 2, 3));
        for (pairs, says) in [
            (
                &[
                    ("REDEEMDESK_DISCORD__SHARD_COUNT", "2"),
                    ("REDEEMDESK_DISCORD__SHARDS", "1-2"),
                ][..],
                "outside 0-1",
            ),
            (
                &[
                    ("REDEEMDESK_DISCORD__SHARD_COUNT", "2"),
                    ("REDEEMDESK_DISCORD__SHARDS", "1-0"),
                ][..],
                "backwards",
            ),
            (
                &[
                    ("REDEEMDESK_DISCORD__SHARD_COUNT", "2"),
                    ("REDEEMDESK_DISCORD__SHARDS", "a-b"),
                ][..],
                "not a shard range",
            ),
            (&[("REDEEMDESK_DISCORD__SHARD_COUNT", "0")][..], "at least 1"),
            (
                &[("REDEEMDESK_DISCORD__SHARDS", "0-1")][..],
                "needs discord.shard_count",
            ),
        ] {
            let err = shards(pairs).unwrap_err();
            assert!(err.to_string().contains(says), "{pairs:?}: {err}");
        }
        // A TOML file may say the range, or one shard as a number.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redeemdesk.toml");
        std::fs::write(&path, "[discord]\nshard_count = 2\nshards = 1\n").unwrap();
        let r = Config::load_from(Some(&path), env(&[]))
            .unwrap()
            .discord
            .shard_range()
            .unwrap()
            .unwrap();
        assert_eq!((r.first, r.last, r.total), (1, 1, 2));
    }
}

//! `redeemdesk serve`: build everything from the configuration, then run until
//! Ctrl-C or SIGTERM: migrations, the HTTP server (`crate::http`: health,
//! readiness, metrics, the admin API, and the Telegram webhook), Telegram,
//! Discord, the IMAP poller, and the outbox worker with a performer for each
//! configured way out (SMTP, Telegram, Discord).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::blobs::BlobStore;
use crate::channels::discord::{self, Discord};
use crate::channels::telegram::{self, Telegram};
use crate::config::Config;
use crate::store::Db;

pub struct Application {
    db: Db,
    listener: TcpListener,
    telegram: Option<TelegramMode>,
    discord: Option<Arc<Discord>>,
    /// The outbox worker, when anything it could perform is configured.
    worker: Option<crate::jobs::Worker>,
    /// The IMAP poller, when `imap.host` is set.
    poller: Option<crate::mail::imap::Poller>,
    /// Sends confirmed broadcast campaigns, when a chat channel is on.
    broadcasts: Option<crate::broadcast::Runner>,
    /// What the HTTP routes need: the database, the admin token, review and
    /// mail settings, and what readiness checks.
    http: crate::http::HttpState,
}

/// How Telegram's updates reach us.
enum TelegramMode {
    Polling(Arc<Telegram>),
    /// Telegram posts to our HTTP server; the secret it must carry.
    Webhook(Arc<Telegram>, String),
}

impl Application {
    /// Connects and migrates the database, checks the blob store (a bucket
    /// must be there and accept the credentials), binds the HTTP address, and
    /// reports which channels are configured.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        crate::blobs::install_crypto_provider();
        if config.telegram.token.is_some() || config.discord.token.is_some() {
            // A second or two of CPU: trained beside the rest of start-up,
            // not before it; the first chat message waits for it if need be.
            crate::faq::Classifier::train_in_background();
        }
        let db = Db::connect(&config.database.url).await?;
        db.migrate().await?;
        let blobs = BlobStore::from_config(&config.storage)?;
        blobs.check().await?;
        tracing::info!(location = %blobs.location(), "blob store");
        let listener = TcpListener::bind(&config.http.bind)
            .await
            .map_err(|e| anyhow::anyhow!("http.bind {}: {e}", config.http.bind))?;
        log_channels(config);
        // Whether Tesseract is there, asked (and logged) at start rather than
        // on a customer's first invoice.
        let precheck = crate::precheck::PreCheck::new(crate::precheck::PreCheckSettings::from_config(&config.precheck));
        tokio::task::spawn_blocking(move || precheck.is_on()).await?;
        let telegram = match &config.telegram.token {
            Some(token) => Some(start_telegram(config, token, &db).await?),
            None => None,
        };
        let discord = match &config.discord.token {
            Some(token) => Some(start_discord(config, token, &db).await?),
            None => None,
        };
        let mut dispatch = crate::jobs::Dispatch::default();
        if config.smtp.host.is_some() {
            dispatch = dispatch.email(Arc::new(crate::mail::smtp::Mailer::from_config(&config.smtp)?));
        }
        if let Some(TelegramMode::Polling(tg) | TelegramMode::Webhook(tg, _)) = &telegram {
            dispatch = dispatch.chat(crate::domain::Channel::Telegram, tg.clone());
        }
        if let Some(dc) = &discord {
            dispatch = dispatch.chat(crate::domain::Channel::Discord, dc.clone());
        }
        let telegram_client = match &telegram {
            Some(TelegramMode::Polling(tg) | TelegramMode::Webhook(tg, _)) => Some(tg.clone()),
            None => None,
        };
        let broadcasts = broadcast_runner(config, &db, telegram_client.as_ref(), discord.as_ref());
        let mut staff_channels: Vec<Arc<dyn crate::staff::StaffChannel>> = Vec::new();
        if let (Some(dc), Some(channel)) = (&discord, config.discord.staff_channel_id.filter(|id| *id != 0)) {
            staff_channels.push(Arc::new(discord::DiscordStaffChannel {
                discord: dc.clone(),
                channel: serenity::all::ChannelId::new(channel),
            }));
        }
        let telegram_staff = config.telegram.staff_chat_id.filter(|id| *id != 0);
        if let (Some(TelegramMode::Polling(tg) | TelegramMode::Webhook(tg, _)), Some(chat)) =
            (&telegram, telegram_staff)
        {
            staff_channels.push(Arc::new(telegram::TelegramStaffChannel {
                telegram: tg.clone(),
                chat,
            }));
        }
        if !staff_channels.is_empty() {
            let desk = crate::staff::StaffDesk::new(db.clone(), blobs.clone(), staff_channels);
            dispatch = dispatch.staff(Arc::new(desk));
        }
        let worker = (!dispatch.is_empty()).then(|| {
            let options = crate::jobs::WorkerOptions {
                kinds: dispatch.kinds(),
                ..Default::default()
            };
            crate::jobs::Worker::new(db.clone(), Arc::new(dispatch), options)
        });
        let poller = match crate::mail::imap::ImapSettings::from_config(&config.imap)? {
            Some(settings) => {
                let ingestor = crate::mail::inbound::ingest::Ingestor::new(
                    db.clone(),
                    blobs.clone(),
                    crate::mail::outbox::MailSettings::from_config(&config.smtp),
                )
                .with_precheck(crate::precheck::PreCheck::new(
                    crate::precheck::PreCheckSettings::from_config(&config.precheck),
                ));
                Some(crate::mail::imap::Poller::new(settings, ingestor, db.clone()))
            }
            None => None,
        };
        let readiness = crate::http::Readiness {
            telegram: telegram.is_some(),
            discord: discord.clone(),
            imap: poller.is_some(),
        };
        let http = crate::http::HttpState::new(db.clone(), config, readiness);
        Ok(Self {
            db,
            listener,
            telegram,
            discord,
            worker,
            poller,
            broadcasts,
            http,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until `shutdown` completes, then lets in-flight requests and
    /// updates finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let mut channels = Vec::new();
        let mut router = crate::http::router(self.http);
        match self.telegram {
            Some(TelegramMode::Polling(telegram)) => {
                let stop = stop_rx.clone();
                channels.push(tokio::spawn(async move { telegram.run_polling(stop).await }));
            }
            Some(TelegramMode::Webhook(telegram, secret)) => {
                router = router.merge(telegram.webhook_router(&secret));
            }
            None => {}
        }
        if let Some(discord) = self.discord {
            let stop = stop_rx.clone();
            channels.push(tokio::spawn(async move { discord.run(stop).await }));
        }
        if let Some(worker) = self.worker {
            let stop = stop_rx.clone();
            channels.push(tokio::spawn(async move { worker.run(stop).await }));
        }
        if let Some(runner) = self.broadcasts {
            let stop = stop_rx.clone();
            channels.push(tokio::spawn(async move { runner.run(stop).await }));
        }
        if let Some(poller) = self.poller {
            let stop = stop_rx.clone();
            channels.push(tokio::spawn(async move { poller.run(stop).await }));
        }
        tracing::info!(addr = %self.listener.local_addr()?, "http listening");
        let mut stop = stop_rx.clone();
        axum::serve(self.listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await?;
        for c in channels {
            let _ = c.await;
        }
        self.db.close().await;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// Connects to Telegram and sets it up for polling or, with a public URL
/// configured, for the webhook.
async fn start_telegram(config: &Config, token: &secrecy::SecretString, db: &Db) -> anyhow::Result<TelegramMode> {
    use secrecy::ExposeSecret;
    let tg = Arc::new(connect_telegram(config, token, db).await?);
    match &config.telegram.webhook_url {
        Some(url) => {
            let secret = match &config.telegram.webhook_secret {
                Some(s) => s.expose_secret().to_owned(),
                None => telegram::default_secret(token.expose_secret()),
            };
            tg.setup_webhook(url, &secret)
                .await
                .map_err(|e| anyhow::anyhow!("telegram webhook {url}: {e}"))?;
            tracing::info!(
                bot = tg.username(),
                url,
                path = telegram::WEBHOOK_PATH,
                "telegram is on (webhook)"
            );
            Ok(TelegramMode::Webhook(tg, secret))
        }
        None => {
            tg.setup().await.map_err(|e| anyhow::anyhow!("telegram: {e}"))?;
            tracing::info!(bot = tg.username(), "telegram is on (long polling)");
            Ok(TelegramMode::Polling(tg))
        }
    }
}

/// Connects the Telegram client (getMe) with the configured options, without
/// receiving updates yet.
pub async fn connect_telegram(config: &Config, token: &secrecy::SecretString, db: &Db) -> anyhow::Result<Telegram> {
    use secrecy::ExposeSecret;
    let mut options = telegram::Options::new(BlobStore::from_config(&config.storage)?);
    options.api_url = config.telegram.api_url.clone();
    options.mail = crate::mail::outbox::MailSettings::from_config(&config.smtp);
    options.precheck = crate::precheck::PreCheck::new(crate::precheck::PreCheckSettings::from_config(&config.precheck));
    options.escalations = crate::staff::EscalationSettings::from_config(&config.support, &config.review);
    options.staff_chat = config.telegram.staff_chat_id.filter(|id| *id != 0);
    options.marketing_users = config.telegram.marketing_user_ids.clone();
    options.announcements = announcement_targets(config);
    let defaults = telegram::Limits::default();
    options.limits = telegram::Limits {
        overall_per_sec: config
            .telegram
            .messages_per_second
            .unwrap_or(defaults.overall_per_sec)
            .max(1),
        per_chat_per_sec: config
            .telegram
            .messages_per_chat_per_second
            .unwrap_or(defaults.per_chat_per_sec)
            .max(1),
    };
    Telegram::connect(token.expose_secret(), db.clone(), options)
        .await
        .map_err(|e| anyhow::anyhow!("telegram: {e}"))
}

/// Where every broadcast is also posted publicly: the Discord announcement
/// channel, when Discord is on.
pub fn announcement_targets(config: &Config) -> Vec<(crate::domain::Channel, String)> {
    match (
        &config.discord.token,
        config.discord.announcement_channel_id.filter(|id| *id != 0),
    ) {
        (Some(_), Some(id)) => vec![(crate::domain::Channel::Discord, id.to_string())],
        _ => Vec::new(),
    }
}

/// The broadcast runner with a sender per chat channel that is on, and the
/// staff channels' progress messages; `None` with no chat channel.
pub fn broadcast_runner(
    config: &Config,
    db: &Db,
    telegram: Option<&Arc<Telegram>>,
    discord: Option<&Arc<Discord>>,
) -> Option<crate::broadcast::Runner> {
    use crate::broadcast::{BoardSink, ProgressBoard, Runner};
    if telegram.is_none() && discord.is_none() {
        return None;
    }
    let mut runner = Runner::new(db.clone(), config.broadcast.runner_options());
    let mut boards: Vec<Arc<dyn ProgressBoard>> = Vec::new();
    if let Some(tg) = telegram {
        runner = runner.sender(tg.clone());
        if let Some(chat) = config.telegram.staff_chat_id.filter(|id| *id != 0) {
            boards.push(Arc::new(telegram::TelegramStaffChannel {
                telegram: tg.clone(),
                chat,
            }));
        }
    }
    if let Some(dc) = discord {
        runner = runner.sender(dc.clone());
        if let Some(channel) = config.discord.staff_channel_id.filter(|id| *id != 0) {
            boards.push(Arc::new(discord::DiscordStaffChannel {
                discord: dc.clone(),
                channel: serenity::all::ChannelId::new(channel),
            }));
        }
    }
    if !boards.is_empty() {
        runner = runner.sink(Arc::new(BoardSink::new(db.clone(), boards)));
    }
    Some(runner)
}

/// Connects to Discord (token and application checked) and registers the
/// slash commands; the gateway connects when the application runs.
async fn start_discord(config: &Config, token: &secrecy::SecretString, db: &Db) -> anyhow::Result<Arc<Discord>> {
    let dc = connect_discord(config, token, db).await?;
    dc.register_commands()
        .await
        .map_err(|e| anyhow::anyhow!("discord slash commands: {e}"))?;
    tracing::info!(invite = %dc.invite_url(), "discord is on");
    Ok(dc)
}

/// Connects the Discord client (REST: token and application checked) with the
/// configured options, without the gateway or command registration.
pub async fn connect_discord(config: &Config, token: &secrecy::SecretString, db: &Db) -> anyhow::Result<Arc<Discord>> {
    let mut options = discord::Options::new(BlobStore::from_config(&config.storage)?);
    options.api_url = config.discord.api_url.clone();
    options.mail = crate::mail::outbox::MailSettings::from_config(&config.smtp);
    options.precheck = crate::precheck::PreCheck::new(crate::precheck::PreCheckSettings::from_config(&config.precheck));
    options.escalations = crate::staff::EscalationSettings::from_config(&config.support, &config.review);
    options.staff = config
        .discord
        .staff_channel_id
        .filter(|id| *id != 0)
        .map(|id| discord::StaffConfig {
            channel: serenity::all::ChannelId::new(id),
            role: config
                .discord
                .staff_role_id
                .filter(|id| *id != 0)
                .map(serenity::all::RoleId::new),
        });
    options.marketing_role = config
        .discord
        .marketing_role_id
        .filter(|id| *id != 0)
        .map(serenity::all::RoleId::new);
    options.announcements = announcement_targets(config);
    options.shards = config.discord.shard_range()?;
    let dc = Discord::connect(token.clone(), db.clone(), options)
        .await
        .map_err(|e| anyhow::anyhow!("discord: {e}"))?;
    Ok(Arc::new(dc))
}

/// One line per channel that is off, so operators see at a glance what runs.
fn log_channels(config: &Config) {
    let off = |name: &str, why: &str| tracing::info!(channel = name, "{name} is off: {why}");
    if config.telegram.token.is_none() {
        off("telegram", "no TELOXIDE_TOKEN or telegram.token");
    }
    if config.discord.token.is_none() {
        off("discord", "no DISCORD_TOKEN or discord.token");
    }
    if config.imap.host.is_none() {
        off("imap", "no imap.host");
    }
    if config.smtp.host.is_none() {
        off("smtp", "no smtp.host; emails wait in the outbox until it is set");
    }
    if crate::http::configured_token(&config.http).is_none() {
        tracing::info!("admin API is off: no http.admin_token (REDEEMDESK_HTTP__ADMIN_TOKEN); /api/v1 answers 404");
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}

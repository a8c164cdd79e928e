//! The IMAP poller: reads the support mailbox and hands each message to the
//! [`Ingestor`], then moves it out of the way.
//!
//! - Connects with implicit TLS, STARTTLS, or plain text (loopback only).
//! - Waits with IDLE when the server offers it, else polls every `poll_seconds`.
//! - Works by UID, oldest first. A message is moved to the processed folder
//!   (MOVE, else COPY + `\Deleted` + expunge) only **after** the ingest
//!   transaction committed; if we die in between, the message is read again
//!   and the ingest's dedup key makes that a no-op, then it is moved.
//! - A message that cannot be read goes to the quarantine folder (with a staff
//!   alert from the ingestor); one whose ingest keeps failing (say, a broken
//!   database row) is quarantined after [`MAX_FAILURES`] tries with an alert.
//! - The folders are created when missing (the one it reads from too). Unsolicited server responses are
//!   drained, because async-imap drops them silently once 100 are waiting.
//! - On any connection or protocol error it reconnects with backoff.
//! - One poller runs at a time across replicas: it only works while it leads
//!   (`store::leader`: a PostgreSQL advisory lock; on SQLite it always leads).
//!   Followers ask again every few seconds; a leader whose lock's session fails
//!   stops reading at once, mid-message if need be (the dedup key makes the
//!   next leader's second read of that message a no-op).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use chrono::Utc;
use futures::TryStreamExt;
use secrecy::ExposeSecret;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::inbound::ingest::{Ingestor, MailAction};
use crate::config::{ImapConfig, TlsMode};
use crate::store::{Db, leader};

/// Tries before a message whose ingest keeps failing is quarantined.
pub const MAX_FAILURES: u32 = 5;
/// Failed connections in a row after which the poller lets another replica lead.
pub const GIVE_UP_LEAD_AFTER: u32 = 3;
/// The advisory-lock key of the poller's leadership (any fixed number shared by replicas).
pub const LEADER_KEY: i64 = 0x5244_4d49_4d41_5000; // "RDMIMAP\0"

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// IMAP servers may drop an IDLE after 30 minutes; re-issue it well before.
const MAX_IDLE: Duration = Duration::from_secs(20 * 60);

/// A byte stream an IMAP session can run on (plain TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}
type ImapSession = Session<Box<dyn Io>>;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("imap.{0} is not set")]
    Missing(&'static str),
    #[error("imap.tls = \"none\" is for loopback only; {0} is not loopback")]
    PlainNotLoopback(String),
    #[error("imap.ca_file {path}: {error}")]
    CaFile { path: String, error: String },
    #[error("imap connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("imap: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error("imap server {0}: timed out")]
    Timeout(String),
}

/// Where and how to read mail, checked once at start.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    pub password: secrecy::SecretString,
    pub mailbox: String,
    pub processed: String,
    pub quarantine: String,
    pub idle: bool,
    pub poll: Duration,
    /// Use MOVE when the server offers it (false forces COPY + delete; tests use it).
    pub prefer_move: bool,
    /// Larger emails go to quarantine without being downloaded (`imap.max_message_mb`).
    pub max_message_bytes: u64,
    tls_config: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl ImapSettings {
    /// The settings, or None when `imap.host` is not set (the poller is off).
    pub fn from_config(cfg: &ImapConfig) -> Result<Option<Self>, ImapError> {
        let Some(host) = cfg.host.clone() else {
            return Ok(None);
        };
        let username = cfg.username.clone().ok_or(ImapError::Missing("username"))?;
        let password = cfg.password.clone().ok_or(ImapError::Missing("password"))?;
        let (tls_config, default_port) = match cfg.tls {
            TlsMode::None => {
                if !is_loopback(&host) {
                    return Err(ImapError::PlainNotLoopback(host));
                }
                (None, 143)
            }
            TlsMode::Starttls => (Some(tls_config(cfg)?), 143),
            TlsMode::Tls => (Some(tls_config(cfg)?), 993),
        };
        Ok(Some(Self {
            port: cfg.port.unwrap_or(default_port),
            host,
            tls: cfg.tls,
            username,
            password,
            mailbox: cfg.mailbox.clone(),
            processed: cfg.processed_mailbox.clone(),
            quarantine: cfg.quarantine_mailbox.clone(),
            idle: cfg.idle,
            poll: Duration::from_secs(cfg.poll_seconds.max(1)),
            prefer_move: true,
            max_message_bytes: u64::from(cfg.max_message_mb.max(1)) * 1_000_000,
            tls_config,
        }))
    }
}

fn tls_config(cfg: &ImapConfig) -> Result<Arc<tokio_rustls::rustls::ClientConfig>, ImapError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    match &cfg.ca_file {
        // A private CA (or a test server's own certificate) is the only root.
        Some(path) => {
            let bad = |error: String| ImapError::CaFile {
                path: path.display().to_string(),
                error,
            };
            let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad("no certificate in the file".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| bad(e.to_string()))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::CaFile {
            path: String::new(),
            error: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn timed<T, E: Into<ImapError>>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError> {
    tokio::time::timeout(CONNECT_TIMEOUT, f)
        .await
        .map_err(|_| ImapError::Timeout(what.to_owned()))?
        .map_err(Into::into)
}

/// Connects and logs in.
pub async fn connect(s: &ImapSettings) -> Result<ImapSession, ImapError> {
    let addr = format!("{}:{}", s.host, s.port);
    let tcp = timed(&addr, TcpStream::connect((s.host.as_str(), s.port))).await?;
    let server_name = || {
        rustls_pki_types::ServerName::try_from(s.host.clone())
            .map_err(|e| ImapError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))
    };
    let stream: Box<dyn Io> = match (s.tls, &s.tls_config) {
        (TlsMode::Tls, Some(cfg)) => {
            let connector = tokio_rustls::TlsConnector::from(cfg.clone());
            Box::new(timed(&addr, connector.connect(server_name()?, tcp)).await?)
        }
        (TlsMode::Starttls, Some(cfg)) => {
            let mut client = Client::new(tcp);
            timed(&addr, client.read_response()).await?;
            timed(&addr, client.run_command_and_check_ok("STARTTLS", None)).await?;
            let tcp = client.into_inner();
            let connector = tokio_rustls::TlsConnector::from(cfg.clone());
            Box::new(timed(&addr, connector.connect(server_name()?, tcp)).await?)
        }
        _ => Box::new(tcp),
    };
    let mut client = Client::new(stream);
    if s.tls != TlsMode::Starttls {
        // The greeting (after STARTTLS there is none).
        timed(&addr, client.read_response()).await?;
    }
    let session = timed(&addr, async {
        client
            .login(&s.username, s.password.expose_secret())
            .await
            .map_err(|(e, _)| e)
    })
    .await?;
    Ok(session)
}

/// Creates `folder` unless it exists.
async fn ensure_folder(session: &mut ImapSession, folder: &str) -> Result<(), ImapError> {
    match session.create(folder).await {
        Ok(()) => {
            tracing::info!(folder, "imap: created the folder");
            Ok(())
        }
        // Servers answer NO [ALREADYEXISTS] (RFC 5530) or words to that effect.
        Err(async_imap::error::Error::No(msg)) if msg.to_ascii_lowercase().contains("exist") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Empties the unsolicited-response channel; true if it announced new mail.
fn drain_unsolicited(session: &mut ImapSession) -> bool {
    let mut news = false;
    while let Ok(r) = session.unsolicited_responses.try_recv() {
        news |= announces_mail(&r);
    }
    news
}

fn announces_mail(r: &async_imap::types::UnsolicitedResponse) -> bool {
    use async_imap::types::UnsolicitedResponse;
    matches!(r, UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_))
}

/// What the poller can do on this server.
#[derive(Debug, Clone, Copy)]
struct Abilities {
    idle: bool,
    mv: bool,
    uidplus: bool,
}

/// Reads the mailbox and acts on every message.
pub struct Poller {
    settings: ImapSettings,
    ingestor: Ingestor,
    db: Db,
    /// Ingest failures per message UID (kept across reconnects).
    failures: HashMap<(u32, u32), u32>,
    /// The server announced new mail since the last read began.
    news: bool,
}

impl Poller {
    pub fn new(settings: ImapSettings, ingestor: Ingestor, db: Db) -> Self {
        Self {
            settings,
            ingestor,
            db,
            failures: HashMap::new(),
            news: false,
        }
    }

    /// Runs until `shutdown` turns true: takes the lead, reads while it holds,
    /// and reconnects with backoff after any failure. After
    /// [`GIVE_UP_LEAD_AFTER`] failed connections in a row it lets another
    /// replica lead (the mail server may be reachable from there).
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut attempt = 0u32;
        'lead: while let Some(mut lead) = leader::acquire(&self.db, LEADER_KEY, "imap poller", &mut shutdown).await {
            loop {
                tracing::info!(host = %self.settings.host, mailbox = %self.settings.mailbox, "imap: reading the mailbox");
                let outcome = tokio::select! {
                    r = self.session(&mut shutdown, &mut attempt) => Some(r),
                    () = lead.lost() => None,
                };
                let error = match outcome {
                    Some(Ok(())) => break 'lead,
                    Some(Err(e)) => e,
                    None => {
                        tracing::warn!("imap: lost the lead (its database session failed); stopped reading");
                        continue 'lead;
                    }
                };
                attempt += 1;
                let wait = self.backoff(attempt);
                tracing::warn!(error = %error, attempt, retry_in = ?wait, "imap: connection lost; reconnecting");
                if attempt >= GIVE_UP_LEAD_AFTER {
                    drop(lead);
                    tracing::info!(
                        attempt,
                        "imap: gave up the lead while the mail server is unreachable from here"
                    );
                    if sleep_or_shutdown(wait, &mut shutdown).await {
                        break 'lead;
                    }
                    continue 'lead;
                }
                let stop = tokio::select! {
                    stop = sleep_or_shutdown(wait, &mut shutdown) => stop,
                    () = lead.lost() => {
                        tracing::warn!("imap: lost the lead (its database session failed)");
                        continue 'lead;
                    }
                };
                if stop {
                    break 'lead;
                }
            }
        }
        tracing::info!("imap: poller stopped");
    }

    fn backoff(&self, attempt: u32) -> Duration {
        crate::retry::backoff(Duration::from_millis(500), attempt, Duration::from_secs(60))
    }

    /// One connection's life. Ok only on shutdown.
    async fn session(&mut self, shutdown: &mut watch::Receiver<bool>, attempt: &mut u32) -> Result<(), ImapError> {
        let mut session = connect(&self.settings).await?;
        let caps = timed("CAPABILITY", session.capabilities()).await?;
        let can = Abilities {
            idle: self.settings.idle && caps.has_str("IDLE"),
            mv: self.settings.prefer_move && caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
        };
        if !self.settings.mailbox.eq_ignore_ascii_case("INBOX") {
            ensure_folder(&mut session, &self.settings.mailbox).await?;
        }
        ensure_folder(&mut session, &self.settings.processed).await?;
        ensure_folder(&mut session, &self.settings.quarantine).await?;
        let mailbox = session.select(&self.settings.mailbox).await?;
        let validity = mailbox.uid_validity.unwrap_or(0);
        *attempt = 0;
        tracing::debug!(?can, "imap: connected");
        loop {
            self.news = false;
            drain_unsolicited(&mut session);
            self.read_all(&mut session, validity, can).await?;
            if *shutdown.borrow() {
                let _ = session.logout().await;
                return Ok(());
            }
            // Mail that arrived while we were reading was announced then, not
            // later: read again rather than wait past it.
            if self.news || drain_unsolicited(&mut session) {
                continue;
            }
            if can.idle {
                let announced = session.unsolicited_responses.clone();
                let mut idle = session.idle();
                // A connection that died without a word (no RST) must not hang us: every
                // command has a deadline.
                timed("IDLE", idle.init()).await?;
                // New mail the server reported before it confirmed IDLE lands in
                // the unsolicited channel, not in the IDLE stream.
                let early = std::iter::from_fn(|| announced.try_recv().ok()).fold(false, |n, r| n | announces_mail(&r));
                let wait = self.settings.poll.max(Duration::from_secs(60)).min(MAX_IDLE);
                let stop = if early {
                    false
                } else {
                    let (until_news, _stop) = idle.wait_with_timeout(wait);
                    tokio::select! {
                        r = until_news => { r?; false }
                        _ = shutdown.changed() => true,
                    }
                };
                session = timed("DONE", idle.done()).await?;
                if stop {
                    let _ = session.logout().await;
                    return Ok(());
                }
            } else {
                if sleep_or_shutdown(self.settings.poll, shutdown).await {
                    let _ = session.logout().await;
                    return Ok(());
                }
                timed("NOOP", session.noop()).await?;
            }
        }
    }

    /// Ingests every message in the mailbox, oldest first.
    async fn read_all(&mut self, session: &mut ImapSession, validity: u32, can: Abilities) -> Result<(), ImapError> {
        let mut uids: Vec<u32> = session.uid_search("UNDELETED").await?.into_iter().collect();
        uids.sort_unstable();
        let sizes = message_sizes(session, &uids).await?;
        for uid in uids {
            // Sizes first: a huge email is never read into memory (the MTA's
            // own limit may be larger than what we are willing to parse).
            if let Some(&size) = sizes.get(&uid)
                && u64::from(size) > self.settings.max_message_bytes
            {
                tracing::error!(
                    target: "staff_alert",
                    uid,
                    size,
                    limit = self.settings.max_message_bytes,
                    "an inbound email over imap.max_message_mb was moved to quarantine unread"
                );
                move_message(session, uid, &self.settings.quarantine, can).await?;
                self.news |= drain_unsolicited(session);
                continue;
            }
            let raw = {
                let mut fetches = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await?;
                let mut raw = None;
                while let Some(f) = fetches.try_next().await? {
                    if f.uid == Some(uid) {
                        raw = f.body().map(<[u8]>::to_vec);
                    }
                }
                raw
            };
            self.news |= drain_unsolicited(session);
            let Some(raw) = raw else {
                continue; // expunged meanwhile
            };
            let dest = match self.ingestor.ingest(&raw, Utc::now()).await {
                Ok(done) => {
                    self.failures.remove(&(validity, uid));
                    tracing::info!(uid, action = done.action.as_str(), "imap: message handled");
                    if done.action == MailAction::Quarantined {
                        self.settings.quarantine.clone()
                    } else {
                        self.settings.processed.clone()
                    }
                }
                Err(e) => {
                    let n = self.failures.entry((validity, uid)).or_insert(0);
                    *n += 1;
                    if *n < MAX_FAILURES {
                        tracing::warn!(uid, error = %e, tries = *n, "imap: could not handle a message; will retry");
                        continue;
                    }
                    tracing::error!(
                        target: "staff_alert",
                        uid,
                        error = %e,
                        "an inbound email failed {MAX_FAILURES} times and was moved to quarantine"
                    );
                    self.failures.remove(&(validity, uid));
                    self.settings.quarantine.clone()
                }
            };
            move_message(session, uid, &dest, can).await?;
            self.news |= drain_unsolicited(session);
        }
        Ok(())
    }
}

/// The size the server gives each of `uids` (RFC822.SIZE), in one command.
async fn message_sizes(
    session: &mut ImapSession,
    uids: &[u32],
) -> Result<std::collections::HashMap<u32, u32>, ImapError> {
    let mut sizes = std::collections::HashMap::new();
    let (Some(first), Some(last)) = (uids.first(), uids.last()) else {
        return Ok(sizes);
    };
    let mut fetches = session
        .uid_fetch(format!("{first}:{last}"), "(UID RFC822.SIZE)")
        .await?;
    while let Some(f) = fetches.try_next().await? {
        if let (Some(uid), Some(size)) = (f.uid, f.size) {
            sizes.insert(uid, size);
        }
    }
    Ok(sizes)
}

/// Moves one message: MOVE when the server has it, else COPY + delete.
async fn move_message(session: &mut ImapSession, uid: u32, dest: &str, can: Abilities) -> Result<(), ImapError> {
    let set = uid.to_string();
    if can.mv {
        session.uid_mv(&set, dest).await?;
    } else {
        session.uid_copy(&set, dest).await?;
        {
            let updates = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
            let _: Vec<_> = updates.try_collect().await?;
        }
        if can.uidplus {
            let gone = session.uid_expunge(&set).await?;
            let _: Vec<_> = gone.try_collect().await?;
        } else {
            let gone = session.expunge().await?;
            let _: Vec<_> = gone.try_collect().await?;
        }
    }
    Ok(())
}

/// Sleeps, or returns true early when shutdown is asked for.
async fn sleep_or_shutdown(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}

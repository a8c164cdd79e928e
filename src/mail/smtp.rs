//! Sending email with lettre: the transport built from `[smtp]` (plain on
//! loopback only, STARTTLS, or implicit TLS; credentials; a connection pool),
//! and the outbox performer for email jobs. An SMTP 4xx, a timeout or a
//! connection failure is transient (the job is retried); a 5xx is permanent
//! (dead-lettered at once, since sending the same thing again gets the same
//! answer).

use std::time::Duration;

use futures::future::BoxFuture;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::OutgoingEmail;
use crate::config::{SmtpConfig, TlsMode};
use crate::jobs::{ClaimedJob, JobError, JobKind, Performer};

#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    #[error("smtp.host is not set")]
    NoHost,
    #[error("smtp.from is not set: emails need a sender")]
    NoFrom,
    #[error("smtp.from {0:?} is not an email address (\"Name <user@domain>\" or \"user@domain\")")]
    BadFrom(String),
    #[error("smtp.tls = none sends passwords and emails in clear text: allowed only to a loopback host, not {0:?}")]
    PlainNotLoopback(String),
    #[error("smtp.ca_file {path}: {error}")]
    CaFile { path: String, error: String },
    #[error("smtp: {0}")]
    Tls(String),
}

/// Sends emails; the performer of [`JobKind::Email`] jobs.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Mailer {
    pub fn from_config(cfg: &SmtpConfig) -> Result<Self, SmtpSetupError> {
        let host = cfg.host.clone().ok_or(SmtpSetupError::NoHost)?;
        let from_text = cfg.from.clone().ok_or(SmtpSetupError::NoFrom)?;
        let from: Mailbox = from_text
            .parse()
            .map_err(|_| SmtpSetupError::BadFrom(from_text.clone()))?;
        let tls_parameters = || -> Result<TlsParameters, SmtpSetupError> {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(path) = &cfg.ca_file {
                let pem = std::fs::read(path).map_err(|e| SmtpSetupError::CaFile {
                    path: path.display().to_string(),
                    error: e.to_string(),
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| SmtpSetupError::CaFile {
                    path: path.display().to_string(),
                    error: e.to_string(),
                })?;
                builder = builder.add_root_certificate(cert);
            }
            builder.build().map_err(|e| SmtpSetupError::Tls(e.to_string()))
        };
        let (tls, default_port) = match cfg.tls {
            TlsMode::None => {
                if !is_loopback(&host) {
                    return Err(SmtpSetupError::PlainNotLoopback(host));
                }
                (Tls::None, 25)
            }
            TlsMode::Starttls => (Tls::Required(tls_parameters()?), 587),
            TlsMode::Tls => (Tls::Wrapper(tls_parameters()?), 465),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(cfg.port.unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(Duration::from_secs(cfg.timeout_seconds.max(1))))
            .pool_config(PoolConfig::new().max_size(cfg.pool_size.max(1)));
        if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.expose_secret().to_owned()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// The message as it goes on the wire.
    pub fn message(&self, email: &OutgoingEmail) -> Result<Message, JobError> {
        let to: Mailbox = match &email.to_name {
            Some(name) => format!("{} <{}>", quote_name(name), email.to),
            None => email.to.clone(),
        }
        .parse()
        .map_err(|e| JobError::Permanent(format!("recipient address refused: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                email.locale.as_str().to_owned(),
            ))
            // Tells well-behaved auto-responders not to answer (RFC 3834).
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(address) = &email.reply_to {
            let reply_to: Mailbox = address
                .parse()
                .map_err(|e| JobError::Permanent(format!("reply address: {e}")))?;
            builder = builder.reply_to(reply_to);
        }
        if let Some(parent) = &email.in_reply_to {
            builder = builder.in_reply_to(parent.clone()).references(parent.clone());
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(email.html.clone()),
            );
        builder
            .multipart(body)
            .map_err(|e| JobError::Permanent(format!("email could not be built: {e}")))
    }

    /// Sends one email.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), JobError> {
        let message = self.message(email)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(JobError::Permanent(format!("SMTP refused: {e}"))),
            Err(e) => Err(JobError::Transient(format!("SMTP: {e}"))),
        }
    }
}

/// Display names with specials must be quoted.
fn quote_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    format!("\"{clean}\"")
}

impl Performer for Mailer {
    fn perform<'a>(&'a self, job: &'a ClaimedJob) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            if job.kind != JobKind::Email {
                return Err(JobError::Permanent(format!(
                    "the mailer cannot perform {:?} jobs",
                    job.kind
                )));
            }
            let email: OutgoingEmail = serde_json::from_value(job.payload.clone())
                .map_err(|e| JobError::Permanent(format!("email job payload: {e}")))?;
            self.send(&email).await
        })
    }
}

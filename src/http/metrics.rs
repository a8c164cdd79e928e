//! `/metrics` in the Prometheus text format (0.0.4), computed from the database
//! at every scrape: every replica reports the same numbers and a restart loses
//! nothing. Read-only SQL on `Db`'s pools; the exposition is written here.
//! The one exception is [`process_exposition`]: what this replica itself is
//! doing (whether it leads the IMAP poller), which differs between replicas.
//! Each metric is described in `docs/operations.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::Shared;
use crate::domain::{Channel, Status, Timestamp};
use crate::jobs::{JobKind, JobStatus};
use crate::mail::EmailKind;
use crate::review::ReviewSettings;
use crate::store::{Db, StoreError};

/// The content type Prometheus expects for the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The window `redeemdesk_chat_events_24h` counts over. Handled platform
/// events are kept only a few days (they exist to drop redeliveries), so a
/// lifetime counter cannot be read from the database.
const CHAT_EVENT_WINDOW_HOURS: i64 = 24;

pub async fn metrics(State(state): State<Shared>) -> Response {
    match render(&state.db, &state.review, Utc::now()).await {
        Ok(mut text) => {
            text.push_str(&process_exposition());
            let mut response = text.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
        Err(e) => {
            // A failed scrape shows as `up == 0` in Prometheus, which is the truth.
            tracing::warn!(error = %e, "metrics: the database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

/// Runs the same statement on whichever pool `db` holds.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool, _) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// The numbers behind one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// When each queued claim entered the queue, oldest first.
    pub queued_at: Vec<Timestamp>,
    pub leased: i64,
    pub redemptions: Vec<(String, i64)>,
    /// (email kind, delivery status, count).
    pub emails: Vec<(String, String, i64)>,
    /// (job kind, status, count).
    pub jobs: Vec<(String, String, i64)>,
    /// (job kind, `run_at`) of the oldest due job not yet done, per kind that has one.
    pub oldest_due_job: Vec<(String, Timestamp)>,
    /// (kind, action, count) of inbound mail.
    pub inbound_mail: Vec<(String, String, i64)>,
    /// (channel, count) of platform events handled in the window.
    pub chat_events: Vec<(String, i64)>,
    /// (channel, active, subscribed, count).
    pub chat_users: Vec<(String, bool, bool, i64)>,
    /// (channel, intent or command, count) of chat messages the assistant handled.
    pub chat_messages: Vec<(String, String, i64)>,
    /// (status, count) of escalations.
    pub escalations: Vec<(String, i64)>,
    /// (campaign id, recipient status, count) of campaigns being sent or
    /// finished in the last day.
    pub broadcast_recipients: Vec<(i64, String, i64)>,
}

impl Snapshot {
    pub async fn collect(db: &Db, now: Timestamp) -> Result<Self, StoreError> {
        let queued: Vec<(Timestamp,)> = on_pool!(db, p => sqlx::query_as(
            "SELECT queued_at FROM redemptions WHERE status = 'under_review' ORDER BY queued_at"
        )
        .fetch_all(p)
        .await)?;
        let leased: i64 = on_pool!(db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM review_leases l JOIN redemptions r ON r.id = l.redemption_id
             WHERE r.status = 'under_review' AND l.expires_at > $1"
        )
        .bind(now)
        .fetch_one(p)
        .await)?;
        let redemptions = on_pool!(db, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM redemptions GROUP BY status"
        )
        .fetch_all(p)
        .await)?;
        // Every logged email has its job, written in the same transaction
        // (`review show` lists them the same way).
        let emails = on_pool!(db, p => sqlx::query_as(
            "SELECT l.kind, j.status, COUNT(*) FROM email_log l JOIN jobs j ON j.id = l.job_id
             GROUP BY l.kind, j.status"
        )
        .fetch_all(p)
        .await)?;
        let jobs = on_pool!(db, p => sqlx::query_as(
            "SELECT kind, status, COUNT(*) FROM jobs GROUP BY kind, status"
        )
        .fetch_all(p)
        .await)?;
        // One indexed look-up per kind (jobs_due is on status, run_at).
        let mut oldest_due_job = Vec::new();
        for kind in JobKind::ALL {
            let oldest: Option<(Timestamp,)> = on_pool!(db, p => sqlx::query_as(
                "SELECT run_at FROM jobs WHERE kind = $1 AND status IN ('queued', 'running') AND run_at <= $2
                 ORDER BY run_at LIMIT 1"
            )
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(p)
            .await)?;
            if let Some((t,)) = oldest {
                oldest_due_job.push((kind.as_str().to_owned(), t));
            }
        }
        let inbound_mail = on_pool!(db, p => sqlx::query_as(
            "SELECT kind, action, COUNT(*) FROM inbound_mail GROUP BY kind, action"
        )
        .fetch_all(p)
        .await)?;
        let since = now - chrono::Duration::hours(CHAT_EVENT_WINDOW_HOURS);
        let chat_events = on_pool!(db, p => sqlx::query_as(
            "SELECT channel, COUNT(*) FROM inbound_events WHERE received_at >= $1 GROUP BY channel"
        )
        .bind(since)
        .fetch_all(p)
        .await)?;
        let chat_users = on_pool!(db, p => sqlx::query_as(
            "SELECT channel, active, subscribed, COUNT(*) FROM chat_users GROUP BY channel, active, subscribed"
        )
        .fetch_all(p)
        .await)?;
        let chat_messages = on_pool!(db, p => sqlx::query_as(
            "SELECT channel, intent, count FROM chat_message_counts"
        )
        .fetch_all(p)
        .await)?;
        let escalations = on_pool!(db, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM escalations GROUP BY status"
        )
        .fetch_all(p)
        .await)?;
        let broadcast_recipients = on_pool!(db, p => sqlx::query_as(
            "SELECT r.campaign_id, r.status, COUNT(*) FROM campaign_recipients r
             JOIN campaigns c ON c.id = r.campaign_id
             WHERE c.status = 'sending' OR c.finished_at >= $1
             GROUP BY r.campaign_id, r.status"
        )
        .bind(now - chrono::Duration::hours(24))
        .fetch_all(p)
        .await)?;
        Ok(Snapshot {
            chat_messages,
            escalations,
            broadcast_recipients,
            queued_at: queued.into_iter().map(|(t,)| t).collect(),
            leased,
            redemptions,
            emails,
            jobs,
            oldest_due_job,
            inbound_mail,
            chat_events,
            chat_users,
        })
    }

    /// The exposition text. Label sets of closed enums are listed in full
    /// (zero where nothing is counted), so series do not appear and vanish.
    pub fn exposition(&self, settings: &ReviewSettings, now: Timestamp) -> String {
        let mut out = Exposition::default();
        let oldest = self.queued_at.first().copied();
        let age_days = |t: Timestamp| settings.calendar.working_days_between(t, now);
        let overdue = self
            .queued_at
            .iter()
            .filter(|t| age_days(**t) > settings.overdue_after_days)
            .count();

        out.single(
            "redeemdesk_review_queue_depth",
            "gauge",
            "Claims waiting for a review decision (status under_review).",
            self.queued_at.len() as f64,
        );
        out.single(
            "redeemdesk_review_queue_oldest_age_seconds",
            "gauge",
            "Seconds since the oldest queued claim entered the queue; 0 when the queue is empty.",
            oldest.map_or(0.0, |t| seconds_between(t, now)),
        );
        out.single(
            "redeemdesk_review_queue_oldest_age_working_days",
            "gauge",
            "Working days (Jakarta, minus review.holidays) since the oldest queued claim entered the queue.",
            oldest.map_or(0.0, |t| f64::from(age_days(t))),
        );
        out.single(
            "redeemdesk_review_queue_overdue",
            "gauge",
            "Queued claims older than review.overdue_after_days working days.",
            overdue as f64,
        );
        out.single(
            "redeemdesk_review_queue_claimed",
            "gauge",
            "Queued claims a reviewer holds an unexpired lease on.",
            self.leased as f64,
        );

        let statuses = Status::ALL.map(|s| vec![s.as_str().to_owned()]);
        out.family(
            "redeemdesk_redemptions",
            "gauge",
            "Redemptions by status.",
            &["status"],
            &statuses,
            self.redemptions.iter().map(|(s, n)| (vec![s.clone()], *n as f64)),
        );

        let email_labels: Vec<Vec<String>> = EmailKind::ALL
            .iter()
            .flat_map(|k| JobStatus::ALL.map(|s| vec![k.as_str().to_owned(), s.as_str().to_owned()]))
            .collect();
        out.family(
            "redeemdesk_emails",
            "gauge",
            "Emails issued, by kind and by the delivery status of their outbox job (done = accepted by SMTP).",
            &["kind", "delivery"],
            &email_labels,
            self.emails
                .iter()
                .map(|(k, s, n)| (vec![k.clone(), s.clone()], *n as f64)),
        );

        let kinds = JobKind::ALL.map(|k| vec![k.as_str().to_owned()]);
        out.family(
            "redeemdesk_outbox_lag_seconds",
            "gauge",
            "Seconds the oldest due, unfinished outbox job of each kind has waited since its run_at; 0 when none is due.",
            &["kind"],
            &kinds,
            self.oldest_due_job
                .iter()
                .map(|(k, t)| (vec![k.clone()], seconds_between(*t, now))),
        );
        let job_labels: Vec<Vec<String>> = JobKind::ALL
            .iter()
            .flat_map(|k| JobStatus::ALL.map(|s| vec![k.as_str().to_owned(), s.as_str().to_owned()]))
            .collect();
        out.family(
            "redeemdesk_jobs",
            "gauge",
            "Outbox jobs by kind and status.",
            &["kind", "status"],
            &job_labels,
            self.jobs
                .iter()
                .map(|(k, s, n)| (vec![k.clone(), s.clone()], *n as f64)),
        );

        out.family(
            "redeemdesk_inbound_mail_messages_total",
            "counter",
            "Inbound email messages processed (IMAP or mail ingest), by kind and the action taken.",
            &["kind", "action"],
            &[],
            self.inbound_mail
                .iter()
                .map(|(k, a, n)| (vec![k.clone(), a.clone()], *n as f64)),
        );

        let channels = Channel::ALL.map(|c| vec![c.as_str().to_owned()]);
        out.family(
            "redeemdesk_chat_events_24h",
            "gauge",
            "Chat platform events (messages, commands, button presses) handled in the last 24 hours, by channel.",
            &["channel"],
            &channels,
            self.chat_events.iter().map(|(c, n)| (vec![c.clone()], *n as f64)),
        );
        let user_labels: Vec<Vec<String>> = Channel::ALL
            .iter()
            .flat_map(|c| {
                [(true, true), (true, false), (false, true), (false, false)]
                    .map(|(a, s)| vec![c.as_str().to_owned(), a.to_string(), s.to_string()])
            })
            .collect();
        out.family(
            "redeemdesk_chat_users",
            "gauge",
            "Chat users by channel, whether they still reach us (active) and whether they subscribed to news.",
            &["channel", "active", "subscribed"],
            &user_labels,
            self.chat_users
                .iter()
                .map(|(c, a, s, n)| (vec![c.clone(), a.to_string(), s.to_string()], *n as f64)),
        );
        out.family(
            "redeemdesk_chat_messages_total",
            "counter",
            "Chat messages, commands and button presses the assistant handled, by channel and intent \
             (FAQ intent ids; `command:NAME` for commands and buttons; `escalation:forwarded` for text sent on to an agent).",
            &["channel", "intent"],
            &[],
            self.chat_messages
                .iter()
                .map(|(c, i, n)| (vec![c.clone(), i.clone()], *n as f64)),
        );
        let escalation_labels = crate::store::EscalationStatus::ALL.map(|s| vec![s.as_str().to_owned()]);
        out.family(
            "redeemdesk_escalations",
            "gauge",
            "Escalations to a person, by status (open: waiting for an agent; answered; closed).",
            &["status"],
            &escalation_labels,
            self.escalations.iter().map(|(s, n)| (vec![s.clone()], *n as f64)),
        );
        out.family(
            "redeemdesk_broadcast_recipients",
            "gauge",
            "Recipients of broadcast campaigns being sent or finished in the last 24 hours, by campaign and status \
             (pending, sending, sent, failed, blocked, unknown). The rate is the increase of `sent` over time; \
             remaining is pending + sending.",
            &["campaign", "status"],
            &[],
            self.broadcast_recipients
                .iter()
                .map(|(c, s, n)| (vec![c.to_string(), s.clone()], *n as f64)),
        );
        out.text
    }
}

/// The metrics of this process rather than of the database: one series each,
/// so every replica can be told apart by its scrape target.
pub fn process_exposition() -> String {
    let mut out = Exposition::default();
    out.single(
        "redeemdesk_imap_leader",
        "gauge",
        "1 while this replica leads the IMAP poller (holds the PostgreSQL advisory lock; always 1 on SQLite \
         with the poller on), else 0. Summed over replicas it is never above 1.",
        f64::from(u8::from(crate::store::leader::leads(crate::mail::imap::LEADER_KEY))),
    );
    out.text
}

/// Reads the database and writes the exposition.
pub async fn render(db: &Db, settings: &ReviewSettings, now: Timestamp) -> Result<String, StoreError> {
    Ok(Snapshot::collect(db, now).await?.exposition(settings, now))
}

/// Never negative: a clock a little behind the database's writer is not lag.
fn seconds_between(from: Timestamp, to: Timestamp) -> f64 {
    ((to - from).num_milliseconds().max(0) as f64) / 1000.0
}

#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.header(name, kind, help);
        let _ = writeln!(self.text, "{name} {}", number(value));
    }

    /// A metric with labels: every label set of `known` (zero unless counted),
    /// plus any other set the database holds.
    fn family(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        label_names: &[&str],
        known: &[Vec<String>],
        counted: impl Iterator<Item = (Vec<String>, f64)>,
    ) {
        let mut series: BTreeMap<Vec<String>, f64> = known.iter().map(|k| (k.clone(), 0.0)).collect();
        for (labels, n) in counted {
            *series.entry(labels).or_default() += n;
        }
        self.header(name, kind, help);
        for (values, n) in series {
            let labels = label_names
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect::<Vec<_>>()
                .join(",");
            let _ = writeln!(self.text, "{name}{{{labels}}} {}", number(n));
        }
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', r#"\""#).replace('\n', r"\n")
}

/// HELP text escapes backslash and line feed.
fn escape_help(v: &str) -> String {
    v.replace('\\', r"\\").replace('\n', r"\n")
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_help_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
        assert_eq!(escape_help("a\\b\nc \"q\""), r#"a\\b\nc "q""#);
    }

    #[test]
    fn known_label_sets_are_listed_and_unknown_ones_added() {
        let snapshot = Snapshot {
            jobs: vec![
                ("email".into(), "queued".into(), 3),
                ("fax".into(), "odd\"one".into(), 1),
            ],
            ..Default::default()
        };
        let now = Utc::now();
        let text = snapshot.exposition(&ReviewSettings::default(), now);
        assert!(
            text.contains("redeemdesk_jobs{kind=\"email\",status=\"queued\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("redeemdesk_jobs{kind=\"chat_message\",status=\"dead\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("redeemdesk_jobs{kind=\"fax\",status=\"odd\\\"one\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("redeemdesk_review_queue_depth 0\n"), "{text}");
        assert!(
            text.contains("# TYPE redeemdesk_inbound_mail_messages_total counter\n"),
            "{text}"
        );
    }

    #[test]
    fn queue_ages_come_from_the_oldest_entry() {
        let now: Timestamp = "2026-06-10T05:00:00Z".parse().unwrap();
        let snapshot = Snapshot {
            // Wednesday 3 June and Monday 8 June 2026, Jakarta.
            queued_at: vec![
                "2026-06-03T03:00:00Z".parse().unwrap(),
                "2026-06-08T03:00:00Z".parse().unwrap(),
            ],
            ..Default::default()
        };
        let settings = ReviewSettings {
            overdue_after_days: 3,
            ..Default::default()
        };
        let text = snapshot.exposition(&settings, now);
        assert!(text.contains("redeemdesk_review_queue_depth 2\n"), "{text}");
        assert!(
            text.contains(&format!(
                "redeemdesk_review_queue_oldest_age_seconds {}\n",
                7 * 24 * 3600 + 2 * 3600
            )),
            "{text}"
        );
        // Thu, Fri, Mon, Tue, Wed.
        assert!(
            text.contains("redeemdesk_review_queue_oldest_age_working_days 5\n"),
            "{text}"
        );
        assert!(text.contains("redeemdesk_review_queue_overdue 1\n"), "{text}");
    }
}

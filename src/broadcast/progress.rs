//! How far a campaign is, and where that is shown while it runs: the
//! terminal's progress bar ([`TerminalSink`]) and a message in each staff
//! channel that is edited as it goes ([`BoardSink`] over [`ProgressBoard`]s).
//! Metrics read the same counts from the database at each scrape.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;

use super::RecipientStatus;
use crate::domain::Channel;
use crate::store::Db;

/// A campaign's counts at one moment, with the rate of this run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    pub campaign_id: i64,
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub blocked: i64,
    pub unknown: i64,
    /// Pending or being sent.
    pub remaining: i64,
    /// Messages with an outcome per second, since this run started.
    pub rate: f64,
    /// Seconds left at that rate.
    pub eta_secs: Option<u64>,
    /// Nothing remains.
    pub done: bool,
}

impl Progress {
    pub fn from_counts(campaign_id: i64, counts: &[(RecipientStatus, i64)]) -> Self {
        let mut p = Progress {
            campaign_id,
            ..Default::default()
        };
        for (status, n) in counts {
            p.total += n;
            match status {
                RecipientStatus::Pending | RecipientStatus::Sending => p.remaining += n,
                RecipientStatus::Sent => p.sent += n,
                RecipientStatus::Failed => p.failed += n,
                RecipientStatus::Blocked => p.blocked += n,
                RecipientStatus::Unknown => p.unknown += n,
            }
        }
        p.done = p.remaining == 0;
        p
    }

    /// Adds the rate (outcomes since `start_outcomes`, over `elapsed`) and the ETA.
    pub fn with_rate(mut self, outcomes_this_run: i64, elapsed: Duration) -> Self {
        let secs = elapsed.as_secs_f64();
        if secs > 0.0 && outcomes_this_run > 0 {
            self.rate = outcomes_this_run as f64 / secs;
            self.eta_secs = Some((self.remaining as f64 / self.rate).ceil() as u64);
        }
        self
    }

    /// Messages with an outcome.
    pub fn finished(&self) -> i64 {
        self.total - self.remaining
    }

    /// One line for people: "1,200/2,000 sent 1,180 failed 2 blocked 18 …".
    pub fn line(&self) -> String {
        let eta = match (self.done, self.eta_secs) {
            (true, _) => "done".to_owned(),
            (false, Some(s)) => format!("ETA {}m{:02}s", s / 60, s % 60),
            (false, None) => "ETA –".to_owned(),
        };
        format!(
            "{}/{} · sent {} · failed {} · blocked {} · unknown {} · remaining {} · {:.1}/s · {eta}",
            self.finished(),
            self.total,
            self.sent,
            self.failed,
            self.blocked,
            self.unknown,
            self.remaining,
            self.rate
        )
    }

    /// A 20-cell bar.
    pub fn bar(&self) -> String {
        const CELLS: usize = 20;
        let filled = if self.total == 0 {
            CELLS
        } else {
            usize::try_from(self.finished() * CELLS as i64 / self.total)
                .unwrap_or(0)
                .min(CELLS)
        };
        format!("[{}{}]", "#".repeat(filled), "-".repeat(CELLS - filled))
    }
}

/// Somewhere progress is shown while a campaign runs.
pub trait ProgressSink: Send + Sync {
    fn report<'a>(&'a self, progress: &'a Progress) -> BoxFuture<'a, ()>;
}

/// The terminal: a bar redrawn in place on a TTY, a line every report otherwise.
pub struct TerminalSink {
    tty: bool,
}

impl TerminalSink {
    pub fn stderr() -> Self {
        use std::io::IsTerminal;
        Self {
            tty: std::io::stderr().is_terminal(),
        }
    }
}

impl ProgressSink for TerminalSink {
    fn report<'a>(&'a self, p: &'a Progress) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let mut err = std::io::stderr().lock();
            let line = format!("campaign {} {} {}", p.campaign_id, p.bar(), p.line());
            if self.tty {
                let _ = write!(err, "\r\x1b[2K{line}");
                if p.done {
                    let _ = writeln!(err);
                }
            } else {
                let _ = writeln!(err, "{line}");
            }
        })
    }
}

/// A staff channel that can show one message per campaign and edit it.
pub trait ProgressBoard: Send + Sync {
    fn channel(&self) -> Channel;
    /// The chat or channel id the message goes to.
    fn chat_id(&self) -> String;
    /// Posts a new message; its id.
    fn post<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<String, String>>;
    /// Replaces the text of message `message_id`.
    fn edit<'a>(&'a self, message_id: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), String>>;
}

/// Keeps one progress message per campaign in each staff channel, remembered
/// in `campaign_posts` so a restarted runner edits the same message. A failed
/// post or edit is logged and tried again at the next report: progress is
/// staff information that the next report replaces anyway.
pub struct BoardSink {
    db: Db,
    boards: Vec<Arc<dyn ProgressBoard>>,
}

impl BoardSink {
    pub fn new(db: Db, boards: Vec<Arc<dyn ProgressBoard>>) -> Self {
        Self { db, boards }
    }

    /// The staff-facing text.
    pub fn text(p: &Progress) -> String {
        let head = if p.done {
            format!("📣 Campaign {} finished", p.campaign_id)
        } else {
            format!("📣 Campaign {} sending", p.campaign_id)
        };
        format!("{head}\n{} {}", p.bar(), p.line())
    }

    async fn report_to(&self, board: &dyn ProgressBoard, p: &Progress) -> Result<(), String> {
        let text = Self::text(p);
        let chat = board.chat_id();
        let existing = async {
            let mut tx = self.db.begin().await?;
            tx.campaign_post(p.campaign_id, board.channel(), &chat).await
        }
        .await
        .map_err(|e| e.to_string())?;
        match existing {
            Some(message_id) => board.edit(&message_id, &text).await,
            None => {
                let message_id = board.post(&text).await?;
                let mut tx = self.db.begin_write().await.map_err(|e| e.to_string())?;
                tx.insert_campaign_post(p.campaign_id, board.channel(), &chat, &message_id)
                    .await
                    .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())
            }
        }
    }
}

impl ProgressSink for BoardSink {
    fn report<'a>(&'a self, p: &'a Progress) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            for board in &self.boards {
                if let Err(e) = self.report_to(board.as_ref(), p).await {
                    tracing::warn!(campaign = p.campaign_id, channel = %board.channel(), error = %e,
                        "broadcast progress message not updated; trying again at the next report");
                }
            }
        })
    }
}

//! A worker: claims due jobs under a lease, performs up to `concurrency` at a
//! time, records each outcome, and on shutdown stops claiming but lets running
//! jobs finish. A worker that dies mid-job leaves its lease to expire; the job
//! is then claimed again (so performers must tolerate running twice, which an
//! email resent after a crash does). Only the current lease holder can record
//! an outcome, so a slow worker whose lease expired cannot overwrite the result
//! of the one that took over.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{ClaimedJob, JobError, JobKind};
use crate::store::{Db, StoreError};

/// Performs claimed jobs (one implementation dispatches on [`ClaimedJob::kind`]).
pub trait Performer: Send + Sync + 'static {
    fn perform<'a>(&'a self, job: &'a ClaimedJob) -> BoxFuture<'a, Result<(), JobError>>;
}

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs performed at once by this worker.
    pub concurrency: usize,
    /// How often to look for due jobs when there were none.
    pub poll: Duration,
    /// How long a claim holds; a job still running after it may be claimed again.
    pub lease: Duration,
    /// First retry delay; doubled each attempt, with ±25 % jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The kinds of job this worker claims (those it has a performer for).
    pub kinds: Vec<JobKind>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(300),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            kinds: JobKind::ALL.to_vec(),
        }
    }
}

pub struct Worker {
    db: Db,
    performer: Arc<dyn Performer>,
    options: WorkerOptions,
}

impl Worker {
    pub fn new(db: Db, performer: Arc<dyn Performer>, options: WorkerOptions) -> Self {
        Self { db, performer, options }
    }

    /// Claims and performs jobs until `shutdown` turns true, then waits for the
    /// running ones.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut running = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = self.options.concurrency.saturating_sub(running.len());
            let claimed = if free > 0 {
                match self.claim(free).await {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox: claiming jobs failed; will retry");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let idle = claimed.is_empty();
            for job in claimed {
                running.spawn(perform_and_record(
                    self.db.clone(),
                    self.performer.clone(),
                    self.options.clone(),
                    job,
                ));
            }
            if idle || running.len() >= self.options.concurrency {
                tokio::select! {
                    _ = tokio::time::sleep(self.options.poll) => {}
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                    _ = shutdown.changed() => {}
                }
            }
            while running.try_join_next().is_some() {}
        }
        if !running.is_empty() {
            tracing::info!(jobs = running.len(), "outbox: letting running jobs finish");
        }
        while running.join_next().await.is_some() {}
    }

    /// Performs due jobs until none is left (tests, and `jobs run`); how many ran.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let claimed = self.claim(self.options.concurrency.max(1)).await?;
            if claimed.is_empty() {
                return Ok(done);
            }
            done += claimed.len();
            let mut running = JoinSet::new();
            for job in claimed {
                running.spawn(perform_and_record(
                    self.db.clone(),
                    self.performer.clone(),
                    self.options.clone(),
                    job,
                ));
            }
            while running.join_next().await.is_some() {}
        }
    }

    async fn claim(&self, limit: usize) -> Result<Vec<ClaimedJob>, StoreError> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::minutes(5));
        let mut tx = self.db.begin_write().await?;
        for id in tx.bury_expired_jobs(now).await? {
            staff_alert(id, "its last attempt's worker never reported back");
        }
        let lease = format!("{:032x}", rand::random::<u128>());
        let jobs = tx
            .claim_jobs(now, lease_until, &lease, limit as i64, &self.options.kinds)
            .await?;
        tx.commit().await?;
        Ok(jobs)
    }
}

/// Hands each job to the performer of its kind; chat messages go to the
/// performer of their channel. Build it with the performers this process has,
/// and give the worker [`Dispatch::kinds`], so it never claims a job it cannot do.
#[derive(Default, Clone)]
pub struct Dispatch {
    email: Option<Arc<dyn Performer>>,
    chat: Vec<(crate::domain::Channel, Arc<dyn Performer>)>,
    staff: Option<Arc<dyn Performer>>,
}

impl Dispatch {
    pub fn email(mut self, performer: Arc<dyn Performer>) -> Self {
        self.email = Some(performer);
        self
    }

    pub fn chat(mut self, channel: crate::domain::Channel, performer: Arc<dyn Performer>) -> Self {
        self.chat.push((channel, performer));
        self
    }

    /// The staff desk, which posts to every configured staff channel.
    pub fn staff(mut self, performer: Arc<dyn Performer>) -> Self {
        self.staff = Some(performer);
        self
    }

    pub fn kinds(&self) -> Vec<JobKind> {
        let mut kinds = Vec::new();
        if self.email.is_some() {
            kinds.push(JobKind::Email);
        }
        if !self.chat.is_empty() {
            kinds.push(JobKind::ChatMessage);
        }
        if self.staff.is_some() {
            kinds.push(JobKind::StaffPost);
        }
        kinds
    }

    pub fn is_empty(&self) -> bool {
        self.kinds().is_empty()
    }
}

impl Performer for Dispatch {
    fn perform<'a>(&'a self, job: &'a ClaimedJob) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            match job.kind {
                JobKind::Email => match &self.email {
                    Some(p) => p.perform(job).await,
                    None => Err(JobError::Transient("email is not configured in this process".into())),
                },
                JobKind::ChatMessage => {
                    let channel = serde_json::from_value::<super::ChatMessage>(job.payload.clone())
                        .map_err(|e| JobError::Permanent(format!("not a chat message: {e}")))?
                        .channel;
                    match self.chat.iter().find(|(c, _)| *c == channel) {
                        Some((_, p)) => p.perform(job).await,
                        // A member linked a channel that is switched off now.
                        None => Err(JobError::Permanent(format!("{channel} is not configured"))),
                    }
                }
                JobKind::StaffPost => match &self.staff {
                    Some(p) => p.perform(job).await,
                    None => Err(JobError::Transient(
                        "no staff channel is configured in this process".into(),
                    )),
                },
            }
        })
    }
}

/// A dead job needs a person. A log line for now; the staff channel later.
fn staff_alert(id: i64, why: &str) {
    let why = crate::redact::personal(why);
    tracing::error!(target: "staff_alert", job = id, "outbox job {id} is dead-lettered: {why}");
}

fn backoff(options: &WorkerOptions, attempt: i32) -> Duration {
    crate::retry::backoff(options.backoff_base, attempt.max(1) as u32, options.backoff_max)
}

async fn perform_and_record(db: Db, performer: Arc<dyn Performer>, options: WorkerOptions, job: ClaimedJob) {
    let outcome = performer.perform(&job).await;
    let now = Utc::now();
    let result = async {
        let mut tx = db.begin_write().await?;
        let recorded = match &outcome {
            Ok(()) => tx.complete_job(job.id, &job.lease, now).await?,
            Err(JobError::Transient(e)) if job.attempt < job.max_attempts => {
                let wait = backoff(&options, job.attempt);
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                tx.fail_job(job.id, &job.lease, now, e, Some(retry_at)).await?
            }
            Err(e) => tx.fail_job(job.id, &job.lease, now, &e.to_string(), None).await?,
        };
        tx.commit().await?;
        Ok::<bool, StoreError>(recorded)
    }
    .await;
    match (result, &outcome) {
        (Ok(false), _) => {
            tracing::warn!(
                job = job.id,
                "outbox: lease lost before the outcome was recorded; another worker has it"
            )
        }
        (Ok(true), Ok(())) => tracing::debug!(job = job.id, kind = job.kind.as_str(), "outbox: job done"),
        (Ok(true), Err(JobError::Transient(e))) if job.attempt < job.max_attempts => {
            let error = crate::redact::personal(e);
            tracing::warn!(
                job = job.id,
                attempt = job.attempt,
                error,
                "outbox: job failed; will retry"
            )
        }
        (Ok(true), Err(e)) => staff_alert(job.id, &format!("attempt {}: {e}", job.attempt)),
        (Err(e), _) => {
            // The lease will expire and the job run again: nothing is lost.
            tracing::error!(job = job.id, error = %e, "outbox: could not record a job's outcome")
        }
    }
}

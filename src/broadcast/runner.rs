//! Sending a campaign. One runner at a time holds a campaign (a lease in
//! `campaigns.runner`, renewed while it works); per platform it keeps up to
//! the sender's window of recipients `sending` and records each outcome as it
//! comes. A runner that dies leaves its lease to run out; the next one marks
//! the dead runner's `sending` rows `unknown` (never sent twice) and goes on
//! with the pending ones.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;

use super::campaign::BroadcastError;
use super::progress::{Progress, ProgressSink};
use super::{BroadcastSender, CampaignRecord, CampaignStatus, Delivery, Recipient, RecipientKind, RecipientStatus};
use crate::domain::Channel;
use crate::store::{Db, StoreError};

/// How watching another process's campaign ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Watched {
    /// Done, cancelled, or the watcher was stopped: its last progress.
    Finished(Progress),
    /// Nobody holds it any more: it can be taken over.
    Free,
}

#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// How long a runner's hold on a campaign lasts without renewal; after a
    /// crash, another runner may take over this long after the last renewal.
    pub lease: Duration,
    /// How often progress is reported (terminal, staff channels).
    pub report_every: Duration,
    /// How often `serve` looks for campaigns to send.
    pub poll: Duration,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            report_every: Duration::from_secs(5),
            poll: Duration::from_secs(2),
        }
    }
}

pub struct Runner {
    db: Db,
    senders: Vec<Arc<dyn BroadcastSender>>,
    sinks: Vec<Arc<dyn ProgressSink>>,
    options: RunnerOptions,
    /// This runner's name in `campaigns.runner`: host, process and a random part.
    id: String,
}

impl Runner {
    pub fn new(db: Db, options: RunnerOptions) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
        let id = format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>());
        Self {
            db,
            senders: Vec::new(),
            sinks: Vec::new(),
            options,
            id,
        }
    }

    pub fn sender(mut self, sender: Arc<dyn BroadcastSender>) -> Self {
        self.senders.push(sender);
        self
    }

    pub fn sink(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn channels(&self) -> Vec<Channel> {
        self.senders.iter().map(|s| s.channel()).collect()
    }

    /// `serve`: sends every confirmed campaign nobody else is sending, one at
    /// a time, until `shutdown` turns true.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let due = async {
                let mut tx = self.db.begin().await?;
                tx.campaigns_to_run(Utc::now()).await
            }
            .await;
            match due {
                Ok(ids) => {
                    for id in ids {
                        if *shutdown.borrow() {
                            break;
                        }
                        match self.run_campaign(id, shutdown.clone()).await {
                            Ok(_) | Err(BroadcastError::Busy { .. }) | Err(BroadcastError::WrongStatus { .. }) => {}
                            Err(e) => tracing::error!(campaign = id, error = %e, "broadcast stopped; will try again"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "broadcast: looking for campaigns failed; will retry"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.options.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Sends campaign `id` until every recipient this process can reach has
    /// an outcome, or `stop` turns true (in-flight messages finish first).
    /// Its progress at the end.
    pub async fn run_campaign(&self, id: i64, mut stop: watch::Receiver<bool>) -> Result<Progress, BroadcastError> {
        let (campaign, channels) = match self.take(id).await? {
            Some(taken) => taken,
            None => return self.progress(id, 0, Duration::ZERO).await,
        };
        tracing::info!(campaign = id, runner = %self.id, channels = ?channels, "broadcast: sending");
        let stopping = AtomicBool::new(false);
        let outcomes = Arc::new(AtomicI64::new(0));
        let started = Instant::now();
        let campaign = Arc::new(campaign);
        // `control` stops between its steps once sending is over, never in
        // the middle of one: a progress post cut off before its message id
        // was saved would be posted again by the final report.
        let (sent_all, mut sending_over) = watch::channel(false);
        let work = async {
            futures::future::join_all(
                self.senders
                    .iter()
                    .filter(|s| channels.contains(&s.channel()))
                    .map(|sender| self.send_channel(&campaign, sender, &stopping, &outcomes)),
            )
            .await;
            let _ = sent_all.send(true);
        };
        // Renewing the lease and reporting run beside the sending, never in
        // a select branch that would stop polling it: on SQLite a send
        // recording its outcome holds the process's write turn, which a
        // renewal waits for.
        let lease_lost = AtomicBool::new(false);
        let control = async {
            let mut renew = tokio::time::interval(self.options.lease / 3);
            let mut report = tokio::time::interval(self.options.report_every);
            let mut stop_open = true;
            loop {
                tokio::select! {
                    _ = sending_over.changed() => break,
                    _ = renew.tick() => match self.renew(id).await {
                        Ok(true) => {}
                        Ok(false) => {
                            // Cancelled, or taken over after we could not renew in time.
                            lease_lost.store(true, Ordering::SeqCst);
                            stopping.store(true, Ordering::SeqCst);
                        }
                        Err(e) => tracing::warn!(campaign = id, error = %e, "broadcast: renewing the lease failed"),
                    },
                    _ = report.tick() => {
                        if let Ok(p) = self.progress(id, outcomes.load(Ordering::SeqCst), started.elapsed()).await {
                            self.report(&p).await;
                        }
                    }
                    changed = stop.changed(), if stop_open => {
                        stop_open = changed.is_ok();
                        if changed.is_ok() && *stop.borrow() {
                            stopping.store(true, Ordering::SeqCst);
                        }
                    }
                }
            }
        };
        tokio::join!(work, control);
        let lease_lost = lease_lost.load(Ordering::SeqCst);
        let progress = self
            .progress(id, outcomes.load(Ordering::SeqCst), started.elapsed())
            .await?;
        let mut tx = self.db.begin_write().await?;
        let still_ours = tx.campaign_runner(id).await?.is_some_and(|(r, _)| r == self.id);
        if still_ours && progress.done {
            tx.finish_campaign(id, CampaignStatus::Done, Utc::now()).await?;
            tracing::info!(
                campaign = id,
                sent = progress.sent,
                failed = progress.failed,
                blocked = progress.blocked,
                unknown = progress.unknown,
                "broadcast finished"
            );
        } else if still_ours {
            tx.release_campaign(id, &self.id).await?;
        }
        tx.commit().await?;
        self.report(&progress).await;
        if lease_lost && !progress.done {
            let cancelled = self.campaign(id).await?.status == CampaignStatus::Cancelled;
            if !cancelled {
                return Err(BroadcastError::LeaseLost(id));
            }
        }
        Ok(progress)
    }

    /// Shows the progress of a campaign another process sends, until it is
    /// done, `stop` turns true, or the other process's lease runs out (it
    /// died: take over with [`Runner::run_campaign`]).
    pub async fn watch(&self, id: i64, mut stop: watch::Receiver<bool>) -> Result<Watched, BroadcastError> {
        let started = Instant::now();
        let first = self.progress(id, 0, Duration::ZERO).await?.finished();
        loop {
            let now = self.progress(id, 0, Duration::ZERO).await?;
            let p = now.clone().with_rate(now.finished() - first, started.elapsed());
            self.report(&p).await;
            let status = self.campaign(id).await?.status;
            if p.done || status != CampaignStatus::Sending || *stop.borrow() {
                return Ok(Watched::Finished(p));
            }
            let held = {
                let mut tx = self.db.begin().await?;
                tx.campaign_runner(id).await?
            };
            if held.is_none_or(|(_, until)| until < Utc::now()) {
                return Ok(Watched::Free);
            }
            tokio::select! {
                _ = tokio::time::sleep(self.options.report_every.min(self.options.lease / 3)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn campaign(&self, id: i64) -> Result<CampaignRecord, BroadcastError> {
        let mut tx = self.db.begin().await?;
        tx.campaign(id).await?.ok_or(BroadcastError::UnknownCampaign(id))
    }

    /// Takes the campaign's lease and settles what a dead runner left; the
    /// campaign and the channels this runner will send on, or `None` when
    /// there is nothing here for it to send.
    async fn take(&self, id: i64) -> Result<Option<(CampaignRecord, Vec<Channel>)>, BroadcastError> {
        let now = Utc::now();
        let until = now + lease(&self.options);
        let mut tx = self.db.begin_write().await?;
        let campaign = tx.campaign(id).await?.ok_or(BroadcastError::UnknownCampaign(id))?;
        match campaign.status {
            CampaignStatus::Sending => {}
            CampaignStatus::Done | CampaignStatus::Cancelled => return Ok(None),
            CampaignStatus::Draft => {
                return Err(BroadcastError::WrongStatus {
                    id,
                    status: campaign.status.as_str(),
                    expected: CampaignStatus::Sending.as_str(),
                });
            }
        }
        if !tx.take_campaign(id, &self.id, now, until).await? {
            let (runner, until) = tx.campaign_runner(id).await?.unwrap_or_default();
            return Err(BroadcastError::Busy { id, runner, until });
        }
        let abandoned = tx.settle_abandoned(id, &self.id, now).await?;
        if abandoned > 0 {
            tracing::warn!(
                campaign = id,
                recipients = abandoned,
                "broadcast: messages in flight when the last runner stopped are recorded as unknown, not sent again"
            );
        }
        let mine = self.channels();
        let channels: Vec<Channel> = tx
            .pending_channels(id)
            .await?
            .into_iter()
            .filter(|c| mine.contains(c))
            .collect();
        let remaining = tx.campaign_counts(id).await?.iter().any(|(s, n)| s.is_open() && *n > 0);
        if channels.is_empty() && remaining {
            // Only recipients on platforms this process does not reach.
            tx.release_campaign(id, &self.id).await?;
            tx.commit().await?;
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some((campaign, channels)))
    }

    /// Extends the lease; false when the campaign is no longer ours to send.
    async fn renew(&self, id: i64) -> Result<bool, StoreError> {
        let now = Utc::now();
        let mut tx = self.db.begin_write().await?;
        let ours = tx.campaign_runner(id).await?.is_some_and(|(r, _)| r == self.id);
        let renewed = ours && tx.take_campaign(id, &self.id, now, now + lease(&self.options)).await?;
        tx.commit().await?;
        Ok(renewed)
    }

    async fn progress(&self, id: i64, outcomes: i64, elapsed: Duration) -> Result<Progress, BroadcastError> {
        let mut tx = self.db.begin().await?;
        if tx.campaign(id).await?.is_none() {
            return Err(BroadcastError::UnknownCampaign(id));
        }
        let counts = tx.campaign_counts(id).await?;
        Ok(Progress::from_counts(id, &counts).with_rate(outcomes, elapsed))
    }

    async fn report(&self, p: &Progress) {
        for sink in &self.sinks {
            sink.report(p).await;
        }
    }

    /// One platform's share: keeps up to the sender's window in flight,
    /// topping it up when half has come back. Each message is its own task,
    /// so a claim (which waits for the database's write turn) never waits on
    /// a send that is not being polled.
    async fn send_channel(
        &self,
        campaign: &Arc<CampaignRecord>,
        sender: &Arc<dyn BroadcastSender>,
        stopping: &AtomicBool,
        outcomes: &Arc<AtomicI64>,
    ) {
        let window = sender.window().max(1);
        let mut running = tokio::task::JoinSet::new();
        let mut exhausted = false;
        let mut failures = 0u32;
        loop {
            if !exhausted && !stopping.load(Ordering::SeqCst) && running.len() <= window / 2 {
                match self.claim(campaign.id, sender.channel(), window - running.len()).await {
                    Ok(claimed) => {
                        failures = 0;
                        exhausted = claimed.is_empty();
                        for r in claimed {
                            running.spawn(deliver(
                                self.db.clone(),
                                campaign.clone(),
                                sender.clone(),
                                r,
                                outcomes.clone(),
                            ));
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        tracing::warn!(campaign = campaign.id, error = %e, "broadcast: claiming recipients failed; retrying");
                        if running.is_empty() {
                            if failures > 30 {
                                tracing::error!(
                                    campaign = campaign.id,
                                    "broadcast: the database stays unreachable; stopping"
                                );
                                stopping.store(true, Ordering::SeqCst);
                                break;
                            }
                            tokio::time::sleep(crate::retry::backoff(
                                Duration::from_millis(200),
                                failures,
                                Duration::from_secs(5),
                            ))
                            .await;
                            continue;
                        }
                    }
                }
            }
            if running.join_next().await.is_none() && (exhausted || stopping.load(Ordering::SeqCst)) {
                break;
            }
        }
    }

    async fn claim(&self, id: i64, channel: Channel, n: usize) -> Result<Vec<Recipient>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let claimed = tx.claim_recipients(id, channel, &self.id, n as i64, Utc::now()).await?;
        tx.commit().await?;
        Ok(claimed)
    }
}

/// Sends one message and records its outcome (a user who blocked us is
/// unsubscribed in the same transaction).
async fn deliver(
    db: Db,
    campaign: Arc<CampaignRecord>,
    sender: Arc<dyn BroadcastSender>,
    r: Recipient,
    outcomes: Arc<AtomicI64>,
) {
    let text = match r.kind {
        RecipientKind::Direct => campaign.text(r.locale).to_owned(),
        RecipientKind::Announcement => format!("{}\n\n— — —\n\n{}", campaign.text_id, campaign.text_en),
    };
    let delivery = sender.send(&r, &text).await;
    let (status, error) = match &delivery {
        Delivery::Sent => (RecipientStatus::Sent, None),
        Delivery::Blocked(e) => (RecipientStatus::Blocked, Some(crate::redact::personal(e))),
        Delivery::Failed(e) => (RecipientStatus::Failed, Some(crate::redact::personal(e))),
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            let now = Utc::now();
            let mut tx = db.begin_write().await?;
            tx.record_delivery(r.id, status, error.as_deref(), now).await?;
            if status == RecipientStatus::Blocked && r.kind == RecipientKind::Direct {
                tx.deactivate_chat_user(r.channel, &r.target, now).await?;
            }
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => break,
            Err(e) if attempt < 10 => {
                tracing::warn!(recipient = r.id, error = %e, "broadcast: recording an outcome failed; retrying");
                tokio::time::sleep(crate::retry::backoff(
                    Duration::from_millis(200),
                    attempt,
                    Duration::from_secs(5),
                ))
                .await;
            }
            Err(e) => {
                // The row stays `sending`: the next runner records it as
                // unknown. It is never sent twice.
                tracing::error!(recipient = r.id, error = %e, "broadcast: outcome not recorded");
                return;
            }
        }
    }
    outcomes.fetch_add(1, Ordering::SeqCst);
}

fn lease(options: &RunnerOptions) -> chrono::Duration {
    chrono::Duration::from_std(options.lease).unwrap_or(chrono::Duration::seconds(30))
}

//! `redeemdesk broadcast PROMOTION_ID`: the preview in both languages and the
//! audience, a confirmation, then the campaign sent in the foreground with a
//! progress bar. Running it again while a campaign of that promotion is
//! unfinished resumes that campaign (after a crash, once its lease ran out);
//! when `serve` is sending it, the command shows its progress instead.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use chrono::Utc;

use super::campaign::{self, BroadcastError, Filters};
use super::{CampaignRecord, CampaignStatus, Progress, TerminalSink};
use crate::cli::CliError;
use crate::config::Config;
use crate::domain::{Locale, Region};
use crate::store::Db;

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct BroadcastArgs {
    pub promotion_id: String,
    pub dry_run: bool,
    /// Send without asking.
    pub yes: bool,
    pub regions: Vec<String>,
    pub categories: Vec<String>,
    /// Announce a promotion that was announced before.
    pub again: bool,
    pub actor: String,
}

pub async fn run(config: &Config, db: &Db, args: BroadcastArgs) -> Result<(), CliError> {
    let filters = filters(db, &args).await?;
    let announcements = crate::app::announcement_targets(config);
    let mut tx = db.begin().await?;
    if tx.promotion(&args.promotion_id).await?.is_none() {
        return Err(CliError::BadInput(format!(
            "PROMOTION_ID: promotion {:?} does not exist",
            args.promotion_id
        )));
    }
    let earlier = tx.campaigns(Some(&args.promotion_id), 50).await?;
    drop(tx);
    if let Some(open) = earlier.iter().find(|c| c.status == CampaignStatus::Sending) {
        let counts = campaign::counts(db, open.id).await?;
        let p = Progress::from_counts(open.id, &counts);
        println!(
            "Campaign {} for {} is unfinished ({} of {} left).",
            open.id, open.promotion_id, p.remaining, p.total
        );
        if args.dry_run {
            return Ok(());
        }
        println!("Resuming it.");
        return send(connect(config, db).await?, open.id).await;
    }
    if let Some(done) = earlier.iter().find(|c| c.status == CampaignStatus::Done)
        && !args.again
        && !args.dry_run
    {
        let when = done.finished_at.or(done.confirmed_at).unwrap_or(done.created_at);
        return Err(CliError::BadInput(format!(
            "PROMOTION_ID: {} was announced by campaign {} on {}; pass --again to announce it once more",
            args.promotion_id,
            done.id,
            when.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    if args.dry_run {
        let mut tx = db.begin().await?;
        let promotion = tx.promotion(&args.promotion_id).await?.expect("checked above");
        drop(tx);
        let audience = campaign::audience(db, &filters, &announcements).await?;
        println!(
            "Dry run: nothing is stored or sent.\n\n--- Bahasa Indonesia ---\n{}\n\n--- English ---\n{}\n\n{}",
            campaign::render(&promotion, Locale::Id),
            campaign::render(&promotion, Locale::En),
            audience.describe()
        );
        return Ok(());
    }
    // Connected before anything is confirmed: a platform that cannot be
    // reached fails here, with nothing stored.
    let runner = connect(config, db).await?;
    let draft = campaign::prepare(db, &args.promotion_id, filters, &args.actor, &announcements, Utc::now())
        .await
        .map_err(bad_input)?;
    println!("{}", draft.preview());
    if draft.audience.total() == 0 {
        campaign::cancel(db, draft.campaign.id, &args.actor, Utc::now()).await?;
        println!("Nobody to send to: campaign {} cancelled.", draft.campaign.id);
        return Ok(());
    }
    if !confirmed(&args, &draft.campaign, draft.audience.total())? {
        campaign::cancel(db, draft.campaign.id, &args.actor, Utc::now()).await?;
        println!("Not sent: campaign {} cancelled.", draft.campaign.id);
        return Ok(());
    }
    let written = campaign::confirm(db, draft.campaign.id, &args.actor, &announcements, Utc::now()).await?;
    println!("Campaign {} confirmed: {written} recipient(s).", draft.campaign.id);
    send(runner, draft.campaign.id).await
}

/// The filters, checked: a bad one is a usage error naming the flag.
async fn filters(db: &Db, args: &BroadcastArgs) -> Result<Filters, CliError> {
    let regions = args
        .regions
        .iter()
        .map(|r| Region::parse(r).map_err(|e| CliError::BadInput(format!("--region: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let catalog = db.begin().await?.categories().await?;
    let categories = args
        .categories
        .iter()
        .map(|c| {
            catalog
                .parse(c)
                .map_err(|e| CliError::BadInput(format!("--category: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filters { regions, categories })
}

fn bad_input(e: BroadcastError) -> CliError {
    match e {
        BroadcastError::UnknownPromotion(_) | BroadcastError::PromotionEnded { .. } => {
            CliError::BadInput(format!("PROMOTION_ID: {e}"))
        }
        other => CliError::Failed(other.into()),
    }
}

/// `--yes`, or a "y" typed at the prompt on a terminal.
fn confirmed(args: &BroadcastArgs, campaign: &CampaignRecord, total: i64) -> Result<bool, CliError> {
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        campaign_not_confirmed(campaign);
        return Err(CliError::BadInput(
            "not confirmed: pass --yes to send without a terminal to ask at".into(),
        ));
    }
    print!("Send campaign {} to {total} recipient(s)? [y/N] ", campaign.id);
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes" | "ya"))
}

fn campaign_not_confirmed(campaign: &CampaignRecord) {
    eprintln!("campaign {} stays a draft; nothing was sent", campaign.id);
}

/// The runner with a sender per configured chat platform (connected and
/// checked), the staff channels' progress messages and the terminal's bar.
async fn connect(config: &Config, db: &Db) -> Result<super::Runner, CliError> {
    if config.telegram.token.is_none() && config.discord.token.is_none() {
        return Err(CliError::BadInput(
            "no chat channel is configured (TELOXIDE_TOKEN or DISCORD_TOKEN): there is nobody to send to".into(),
        ));
    }
    let telegram = match &config.telegram.token {
        Some(token) => Some(Arc::new(crate::app::connect_telegram(config, token, db).await?)),
        None => None,
    };
    let discord = match &config.discord.token {
        Some(token) => Some(crate::app::connect_discord(config, token, db).await?),
        None => None,
    };
    let runner = crate::app::broadcast_runner(config, db, telegram.as_ref(), discord.as_ref())
        .expect("a chat channel is configured");
    Ok(runner.sink(Arc::new(TerminalSink::stderr())))
}

/// Sends (or watches) a confirmed campaign with a progress bar until it is
/// done or Ctrl-C stops it (in-flight messages finish; run the command again
/// to resume).
async fn send(runner: super::Runner, id: i64) -> Result<(), CliError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::app::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let progress = loop {
        match runner.run_campaign(id, stop_rx.clone()).await {
            Ok(p) => break p,
            Err(BroadcastError::Busy {
                runner: other, until, ..
            }) => {
                println!(
                    "Another process ({other}) holds campaign {id} until {}; showing its progress \
                     (taking over if it stops).",
                    until.format("%H:%M:%S UTC")
                );
                match runner.watch(id, stop_rx.clone()).await? {
                    super::runner::Watched::Finished(p) => break p,
                    super::runner::Watched::Free => continue,
                }
            }
            Err(e) => return Err(CliError::Failed(e.into())),
        }
    };
    println!(
        "Campaign {id}: sent {}, failed {}, blocked {}, unknown {}, remaining {}.",
        progress.sent, progress.failed, progress.blocked, progress.unknown, progress.remaining
    );
    if progress.remaining > 0 {
        println!(
            "{} recipient(s) still wait: stopped early, or on a platform this process does not reach \
             (configured here: {:?}); run this command again or let `serve` send them.",
            progress.remaining,
            runner.channels()
        );
    }
    Ok(())
}

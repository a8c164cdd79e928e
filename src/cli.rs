//! The command line, as fixed in `shared/spec/contracts.md`. Each command is a
//! small function; the exit status says whose fault a failure was.

use std::path::PathBuf;

use chrono::Utc;
use clap::{Parser, Subcommand};

use crate::app::{Application, shutdown_signal};
use crate::config::Config;
use crate::domain::{Actor, RejectionReason};
use crate::import::{DEMO_JSON, ImportReport, import_json};
use crate::review::{Decision, ReviewSettings, decide};
use crate::store::Db;
use crate::views::{StatusError, redemption_view, status_view};

#[derive(Debug, Parser)]
#[command(
    name = "redeemdesk",
    version,
    about = "Support desk for MSI Indonesia's promotion redemptions"
)]
pub struct Cli {
    /// TOML configuration file (also REDEEMDESK_CONFIG).
    #[arg(long, global = true, env = "REDEEMDESK_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every configured channel, the workers and the HTTP server.
    Serve {
        /// Load the demo data set first (idempotent), for trying redeemdesk out.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// Load the built-in demo data set (running it twice changes nothing).
    Demo,
    /// Load promotions, members, products and redemptions from a JSON file (docs/import.md).
    Import { file: PathBuf },
    /// The staff view of a serial: product, redemptions, history, attachments.
    Status {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// The review queue and decisions.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// FAQ understanding.
    #[command(subcommand)]
    Faq(FaqCommand),
    /// The outbox: emails (and later notifications) waiting, sent, or dead.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Inbound email.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Announce a promotion to the subscribers: preview in both languages,
    /// confirm, then send with a progress bar (again: resume an unfinished one).
    Broadcast {
        promotion_id: String,
        /// Show the announcement and the audience by channel, language and region; store and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send without asking for confirmation.
        #[arg(long)]
        yes: bool,
        /// Only subscribers known to be in this region (repeatable).
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Only subscribers with a product of this category (repeatable).
        #[arg(long = "category")]
        categories: Vec<String>,
        /// Announce a promotion that was announced before.
        #[arg(long)]
        again: bool,
        /// Who confirms, recorded with the campaign (default: $USER).
        #[arg(long = "as", env = "USER", default_value = "cli")]
        actor: String,
    },
    /// Talk to the assistant in the terminal: one stdin line is one message.
    Chat {
        /// Who you are to the assistant (its state is kept per user).
        #[arg(long, default_value = "console")]
        user: String,
        /// The language hint a platform would give.
        #[arg(long, value_parser = ["id", "en"])]
        lang: Option<String>,
        /// Print every outgoing message as one JSON line {"text", "buttons"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FaqCommand {
    /// One stdin line is one message; prints one JSON line each.
    Classify,
    /// Accuracy report. Without files: train on the built-in examples outside the
    /// held-out split and measure on the split. With files (JSON Lines, same format
    /// as data/faq/): train on the built-in examples minus every text in the files,
    /// and measure on the files — so the classifier never saw what it is measured on.
    Eval {
        files: Vec<PathBuf>,
        /// Also list every misclassified message.
        #[arg(long)]
        mistakes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Claims waiting for review, oldest first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One redemption in full.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Take a queued claim for yourself for a while (`review.lease_minutes`),
    /// so no other reviewer decides it meanwhile.
    Claim {
        id: i64,
        #[arg(long = "as", env = "USER", default_value = "cli")]
        actor: String,
    },
    /// Give a claimed entry back to the queue.
    Release {
        id: i64,
        #[arg(long = "as", env = "USER", default_value = "cli")]
        actor: String,
    },
    /// Approve a claim under review.
    Approve {
        id: i64,
        #[arg(long)]
        note: Option<String>,
        /// Reviewer name recorded in the history (default: $USER).
        #[arg(long = "as", env = "USER", default_value = "cli")]
        actor: String,
    },
    /// Reject a claim under review with a reason code.
    Reject {
        id: i64,
        #[arg(long, value_parser = parse_reason)]
        reason: RejectionReason,
        #[arg(long)]
        note: Option<String>,
        #[arg(long = "as", env = "USER", default_value = "cli")]
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Parse and classify .eml files without touching the database: one JSON line each.
    Inspect {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Process .eml files exactly as if they had arrived over IMAP: one JSON line each.
    Ingest {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Jobs, newest first.
    List {
        /// Only jobs in this state.
        #[arg(long, value_parser = ["queued", "running", "done", "dead"])]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Put a dead job back in the queue with a fresh set of attempts.
    Retry { id: i64 },
}

fn parse_reason(s: &str) -> Result<RejectionReason, String> {
    RejectionReason::parse(s).map_err(|e| e.to_string())
}

/// A failure, sorted by whose fault it is.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or bad input: exit status 2.
    BadInput(String),
    /// Anything else: exit status 1.
    Failed(anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::BadInput(m) => f.write_str(m),
            CliError::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::Failed(e.into())
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = Config::load(cli.config.as_deref()).map_err(|e| CliError::BadInput(e.to_string()))?;
    match cli.command {
        Command::Serve { demo } => {
            let app = Application::build(&config).await?;
            if demo {
                let report = run_import(app.db(), DEMO_JSON, "demo data").await?;
                print_report("demo data", &report);
            }
            app.run_until(shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate => {
            let db = open(&config).await?;
            println!("migrations applied to {}", backend_name(&db));
            Ok(())
        }
        Command::Demo => {
            let db = open(&config).await?;
            let report = run_import(&db, DEMO_JSON, "demo data").await?;
            print_report("demo data", &report);
            Ok(())
        }
        Command::Import { file } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| CliError::BadInput(format!("{}: {e}", file.display())))?;
            let db = open(&config).await?;
            let report = run_import(&db, &text, &file.display().to_string()).await?;
            print_report(&file.display().to_string(), &report);
            Ok(())
        }
        Command::Status { serial, json } => {
            let db = open(&config).await?;
            let view = status_view(&db, &serial).await.map_err(|e| match e {
                StatusError::BadSerial(_) | StatusError::Ambiguous { .. } => CliError::BadInput(e.to_string()),
                StatusError::Unknown(_) => CliError::Failed(anyhow::anyhow!(e)),
                StatusError::Store(s) => CliError::Failed(s.into()),
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", crate::views::text::status(&view));
            }
            Ok(())
        }
        Command::Review(cmd) => review(&config, cmd).await,
        Command::Faq(cmd) => faq(cmd),
        Command::Jobs(cmd) => jobs(&config, cmd).await,
        Command::Mail(cmd) => mail(&config, cmd).await,
        Command::Broadcast {
            promotion_id,
            dry_run,
            yes,
            regions,
            categories,
            again,
            actor,
        } => {
            let db = open(&config).await?;
            let args = crate::broadcast::command::BroadcastArgs {
                promotion_id,
                dry_run,
                yes,
                regions,
                categories,
                again,
                actor: format!("cli:{actor}"),
            };
            crate::broadcast::command::run(&config, &db, args).await
        }
        Command::Chat { user, lang, json } => {
            let db = open(&config).await?;
            let assistant = crate::assistant::Assistant::new(db)
                .with_mail(crate::mail::outbox::MailSettings::from_config(&config.smtp))
                .with_escalations(crate::staff::EscalationSettings::from_config(
                    &config.support,
                    &config.review,
                ));
            let options = crate::channels::console::ConsoleOptions {
                user,
                lang_hint: lang,
                json,
            };
            let stdin = std::io::stdin();
            crate::channels::console::run(&assistant, &options, stdin.lock(), std::io::stdout().lock()).await?;
            Ok(())
        }
    }
}

fn faq(cmd: FaqCommand) -> Result<(), CliError> {
    use crate::faq::{Classifier, Scratch, builtin_examples, eval, is_held_out, parse_examples};
    use std::io::{BufRead, Write};
    match cmd {
        FaqCommand::Classify => {
            let classifier = Classifier::shared();
            let mut scratch = Scratch::default();
            let stdin = std::io::stdin();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in stdin.lock().lines() {
                let text = line.map_err(|e| CliError::BadInput(format!("stdin: {e}")))?;
                let c = classifier.classify_with(&text, &mut scratch);
                let lang = c.lang.unwrap_or_default();
                let json = serde_json::json!({
                    "text": text,
                    "intent": c.intent.id(),
                    "score": (f64::from(c.score) * 1000.0).round() / 1000.0,
                    "lang": lang.as_str(),
                });
                writeln!(out, "{json}")?;
                out.flush()?;
            }
            Ok(())
        }
        FaqCommand::Eval { files, mistakes } => {
            let (classifier, examples, label) = if files.is_empty() {
                // The product owner's dev set is measured separately: pass its file.
                let all = builtin_examples()
                    .into_iter()
                    .filter(|e| !e.source.ends_with("faq-dev.jsonl"));
                let (test, train): (Vec<_>, Vec<_>) = all.partition(|e| is_held_out(&e.text));
                (Classifier::train(&train), test, "held-out split of data/faq".to_owned())
            } else {
                let mut examples = Vec::new();
                for f in &files {
                    let text =
                        std::fs::read_to_string(f).map_err(|e| CliError::BadInput(format!("{}: {e}", f.display())))?;
                    examples.extend(
                        parse_examples(&f.display().to_string(), &text)
                            .map_err(|e| CliError::BadInput(e.to_string()))?,
                    );
                }
                let label = files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                // Never measure on what the classifier learned from.
                let seen: std::collections::HashSet<&str> = examples.iter().map(|e| e.text.as_str()).collect();
                let train: Vec<_> = builtin_examples()
                    .into_iter()
                    .filter(|e| !seen.contains(e.text.as_str()))
                    .collect();
                (Classifier::train(&train), examples, label)
            };
            let mut report = eval::evaluate(&classifier, &examples);
            if !mistakes {
                report.mistakes.clear();
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"data": label, "report": report}))?
            );
            Ok(())
        }
    }
}

async fn review(config: &Config, cmd: ReviewCommand) -> Result<(), CliError> {
    let db = open(config).await?;
    match cmd {
        ReviewCommand::List { json, limit } => {
            let settings = ReviewSettings::from_config(&config.review);
            let entries = crate::review::queue(&db, &settings, Utc::now(), limit)
                .await
                .map_err(review_error)?;
            let views = crate::views::queue_view(&db, &entries).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                print!("{}", crate::views::text::queue(&views));
            }
            Ok(())
        }
        ReviewCommand::Claim { id, actor } => {
            let settings = ReviewSettings::from_config(&config.review);
            let lease = crate::review::claim(&db, id, reviewer(&actor)?.as_str(), &settings, Utc::now())
                .await
                .map_err(review_error)?;
            println!("redemption {id} is yours until {}", lease.until.to_rfc3339());
            Ok(())
        }
        ReviewCommand::Release { id, actor } => {
            if crate::review::release(&db, id, reviewer(&actor)?.as_str())
                .await
                .map_err(review_error)?
            {
                println!("redemption {id} is back in the queue");
                Ok(())
            } else {
                Err(CliError::BadInput(format!("id: you hold no claim on redemption {id}")))
            }
        }
        ReviewCommand::Show { id, json } => {
            let mut tx = db.begin().await?;
            let rec = tx
                .redemption(id)
                .await?
                .ok_or_else(|| CliError::BadInput(format!("id: no redemption with id {id}")))?;
            let view = redemption_view(&mut tx, &rec).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", crate::views::text::redemption(&view));
            }
            Ok(())
        }
        ReviewCommand::Approve { id, note, actor } => {
            decide_and_print(&db, config, id, Decision::Approve { note }, &actor).await
        }
        ReviewCommand::Reject {
            id,
            reason,
            note,
            actor,
        } => decide_and_print(&db, config, id, Decision::Reject { reason, note }, &actor).await,
    }
}

async fn mail(config: &Config, cmd: MailCommand) -> Result<(), CliError> {
    let settings = crate::mail::outbox::MailSettings::from_config(&config.smtp);
    let limits = crate::mail::inbound::FileLimits::default();
    match cmd {
        MailCommand::Inspect { files } => {
            for file in files {
                let raw = std::fs::read(&file).map_err(|e| CliError::BadInput(format!("{}: {e}", file.display())))?;
                let mail = crate::mail::inbound::parse(&raw, &settings, &limits);
                let line = serde_json::json!({
                    "file": file.display().to_string(),
                    "message_id": mail.message_id,
                    "kind": mail.kind,
                    "matched_by": mail.strongest_handle(&settings),
                    "redemption_id": mail.subject_tag,
                    "action": null,
                    "accepted_attachments": mail.accepted,
                    "rejected_attachments": mail.rejected,
                    "note": mail.note,
                });
                println!("{line}");
            }
            Ok(())
        }
        MailCommand::Ingest { files } => {
            // Every file is read before anything is acted on, so a missing one
            // is a clean usage error that changed nothing.
            let mut raws = Vec::with_capacity(files.len());
            for file in &files {
                raws.push(std::fs::read(file).map_err(|e| CliError::BadInput(format!("{}: {e}", file.display())))?);
            }
            let db = open(config).await?;
            let ingestor = crate::mail::inbound::ingest::Ingestor::new(
                db,
                crate::blobs::BlobStore::from_config(&config.storage).map_err(|e| CliError::Failed(e.into()))?,
                settings,
            )
            .with_limits(limits)
            .with_precheck(crate::precheck::PreCheck::new(
                crate::precheck::PreCheckSettings::from_config(&config.precheck),
            ));
            for (file, raw) in files.iter().zip(raws) {
                let done = ingestor
                    .ingest(&raw, Utc::now())
                    .await
                    .map_err(|e| CliError::Failed(anyhow::anyhow!("{}: {e}", file.display())))?;
                let mut line = serde_json::json!({"file": file.display().to_string()});
                if let (Some(out), Some(report)) = (line.as_object_mut(), done.report.as_object()) {
                    out.extend(report.clone());
                }
                println!("{line}");
            }
            Ok(())
        }
    }
}

async fn jobs(config: &Config, cmd: JobsCommand) -> Result<(), CliError> {
    let db = open(config).await?;
    match cmd {
        JobsCommand::List { status, limit, json } => {
            let status = status.as_deref().and_then(crate::jobs::JobStatus::parse);
            let mut tx = db.begin().await?;
            let jobs = tx.jobs(status, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&jobs)?);
            } else if jobs.is_empty() {
                println!("no jobs");
            } else {
                for j in &jobs {
                    let what = j.payload["subject"].as_str().unwrap_or_default();
                    println!(
                        "{:>6} {:<6} {:<8} attempts {}/{} next {}  {}{}",
                        j.id,
                        j.kind.as_str(),
                        j.status.as_str(),
                        j.attempts,
                        j.max_attempts,
                        j.run_at.to_rfc3339(),
                        what,
                        j.last_error
                            .as_deref()
                            .map(|e| format!("\n       last error: {e}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        JobsCommand::Retry { id } => {
            let mut tx = db.begin_write().await?;
            if !tx.retry_job(id, Utc::now()).await? {
                return Err(CliError::BadInput(format!(
                    "id: job {id} does not exist or is not dead"
                )));
            }
            tx.commit().await?;
            println!("job {id} is queued again");
            Ok(())
        }
    }
}

/// The reviewer named by `--as`.
fn reviewer(actor: &str) -> Result<String, CliError> {
    let name = actor.trim();
    if name.is_empty() {
        return Err(CliError::BadInput("--as: the reviewer name must not be empty".into()));
    }
    Ok(name.to_owned())
}

fn review_error(e: crate::review::ReviewError) -> CliError {
    if e.is_bad_input() {
        CliError::BadInput(e.to_string())
    } else {
        CliError::Failed(e.into())
    }
}

async fn decide_and_print(db: &Db, config: &Config, id: i64, decision: Decision, actor: &str) -> Result<(), CliError> {
    let actor = Actor::Staff(reviewer(actor)?);
    let mail = crate::mail::outbox::MailSettings::from_config(&config.smtp);
    let rec = decide(db, id, decision, actor, &mail, Utc::now())
        .await
        .map_err(review_error)?;
    println!("redemption {} is now {}", rec.redemption.id, rec.redemption.status());
    Ok(())
}

async fn open(config: &Config) -> Result<Db, CliError> {
    let db = Db::connect(&config.database.url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn run_import(db: &Db, text: &str, source: &str) -> Result<ImportReport, CliError> {
    import_json(db, text, Utc::now()).await.map_err(|e| {
        if e.is_bad_input() {
            CliError::BadInput(format!("{source}: {e}"))
        } else {
            CliError::Failed(anyhow::anyhow!("{source}: {e}"))
        }
    })
}

fn print_report(source: &str, r: &ImportReport) {
    println!(
        "{source}: imported; new or changed / unchanged: promotions {}/{}, members {}/{}, products {}/{}, redemptions {}/{}",
        r.promotions.written,
        r.promotions.unchanged,
        r.members.written,
        r.members.unchanged,
        r.products.written,
        r.products.unchanged,
        r.redemptions.written,
        r.redemptions.unchanged
    );
}

fn backend_name(db: &Db) -> &'static str {
    match db.backend() {
        crate::store::Backend::Sqlite => "SQLite",
        crate::store::Backend::Postgres => "PostgreSQL",
    }
}

//! Two real `serve` processes on one PostgreSQL database, as in production
//! behind a load balancer: the real mail stack (`scripts/mailstack.sh`), the
//! fake Bot API with both replicas in webhook mode, and a small load balancer
//! here that posts each Telegram update to one replica or the other (some twice,
//! to both at once, as Telegram redelivers), retrying on the other replica when
//! one fails.
//!
//! The mix: 500 customers reply to a rejection with a corrected invoice (each
//! email re-uploads the invoice of one rejected claim), and 125 chat users send
//! four messages each: two questions at once (one to each replica), then two
//! messages the assistant does not understand at once (one to each replica). The
//! second "did not understand" in a row opens an escalation, so exactly one
//! escalation per user proves that one chat's updates were handled one after
//! the other even when they reached both replicas together.
//!
//! Checked: every email resubmits its claim exactly once and is confirmed by
//! exactly one email (read back from the customer's mailbox); every job (the
//! confirmations, the staff-group posts of claims and escalations) ran exactly
//! once; every chat message was answered exactly once; the replicas' leader
//! gauges never both read 1; and when the leader is killed (SIGKILL) mid-way
//! through the mailbox, the other replica leads within 30 s and finishes it.
//! Jobs the killed replica was running keep its lease until the lease expires
//! (five minutes); the test expires those leases instead of waiting, and those
//! jobs — by design the only ones that may run twice — must have run once or
//! twice, never zero times.
//!
//! `cargo test --test it replicas:: -- --ignored --nocapture` runs the benchmark
//! below instead: the same mix on one replica and on two (see
//! `docs/benchmarks.md`).

use crate::support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use mail_parser::MessageParser;
use redeemdesk::channels::telegram::{SECRET_HEADER, WEBHOOK_PATH, default_secret};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::StaffTask;
use redeemdesk::store::Db;
use serde_json::json;
use support::TestDb;
use support::eml::{Eml, pdf};
use support::fake_telegram::{FakeTelegram, TOKEN};
use support::mail::{IMAP_PLAIN, SMTP_PLAIN, SUPPORT, imap, unique_folder};

/// The customers' mailbox: each gets `customer3+<tag>-<n>@example.test`.
const CUSTOMER: (&str, &str) = ("customer3@example.test", "pass");
const STAFF_CHAT: i64 = -1_001_000_777;
const FIRST_MEMBER: i64 = 600_000;
const FIRST_CLAIM: i64 = 800_000;
const FIRST_USER: i64 = 700_000;
/// Questions the assistant answers from the FAQ (one message each).
const QUESTIONS: [&str; 5] = [
    "gimana cara redeem promo smart office?",
    "cek status redeem dimana ya",
    "verifikasinya berapa lama kak?",
    "hadiahnya dikirim kapan setelah disetujui?",
    "redeem saya ditolak, harus gimana sekarang?",
];
/// Text it does not understand.
const GIBBERISH: [&str; 3] = ["asdkjh qwe zzz", "blorp qwx zzkj", "vvqx plugh xyzzy"];
/// Generous bound on each wait; no assertion is about speed (but the takeover's).
const PATIENCE: Duration = Duration::from_secs(150);

fn pool(db: &Db) -> &sqlx::PgPool {
    match db {
        Db::Postgres(p) => p,
        Db::Sqlite(..) => unreachable!("replicas share PostgreSQL"),
    }
}

/// Everything the replicas share: the database with the claims, the mail
/// folders, the blob directory and the fake Bot API.
struct World {
    db: TestDb,
    /// Working directory and logs of the replicas.
    dir: tempfile::TempDir,
    /// The blob store every replica uses (as they would share a bucket).
    blobs: tempfile::TempDir,
    tag: String,
    inbox: String,
    done: String,
    bad: String,
    /// Folders of the support mailbox holding emails not yet "delivered".
    staging: Vec<String>,
    fake: FakeTelegram,
    /// Each claim and the Message-ID of the reply that re-uploads its invoice.
    claims: Vec<(i64, String)>,
    users: usize,
    /// Jobs the data set brought before the mix (staff posts of demo claims in review).
    baseline_jobs: i64,
}

impl World {
    /// Imports `emails` rejected claims (one member and product each), builds
    /// one reply per claim and stages them in folders of `batches` sizes.
    async fn new(batches: &[usize], users: usize) -> Self {
        Self::new_with(TestDb::postgres().await, batches, users).await
    }

    async fn new_with(db: TestDb, batches: &[usize], users: usize) -> Self {
        let emails: usize = batches.iter().sum();
        import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
        let tag = format!("{:06x}", rand::random::<u32>() & 0xff_ffff);
        let (mut members, mut products, mut redemptions) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..emails as i64 {
            let serial = format!("RPL{}{i:05}", tag.to_uppercase());
            members.push(
                json!({"id": FIRST_MEMBER + i, "email": address(&tag, i), "name": format!("Pelanggan {i}"),
                                "locale": "id", "region": "ID"}),
            );
            products.push(
                json!({"serial": serial, "chk": "123", "member_id": FIRST_MEMBER + i, "category": "AIO",
                                 "model": "Modern AM242 1M", "purchased_on": "2026-04-12", "region": "ID",
                                 "store": "Enter Komputer", "channel": "retail"}),
            );
            redemptions.push(
                json!({"id": FIRST_CLAIM + i, "serial": serial, "promotion_id": "smart-office-2026",
                                    "submitted_at": "2026-04-20T10:00:00+07:00", "status": "rejected",
                                    "reason": "invoice_unreadable"}),
            );
        }
        let data = json!({"promotions": [], "members": members, "products": products, "redemptions": redemptions});
        import_json(&db.db, &data.to_string(), Utc::now()).await.unwrap();

        let base = unique_folder("R");
        let staging: Vec<String> = (0..batches.len()).map(|b| format!("{base}stage{b}")).collect();
        let mut claims = Vec::new();
        let mut session = imap(SUPPORT.0, SUPPORT.1).await;
        let mut i = 0i64;
        for (folder, n) in staging.iter().zip(batches) {
            session.create(folder).await.unwrap();
            for _ in 0..*n {
                let reply = Eml::new(
                    &format!("Pelanggan {i} <{}>", address(&tag, i)),
                    SUPPORT.0,
                    &format!("Re: [RDM-{}] Klaim Anda perlu diperbaiki", FIRST_CLAIM + i),
                )
                .text("Baik, ini faktur yang sudah jelas.\n\nTerima kasih")
                .attach(&format!("faktur-{i}.pdf"), "application/pdf", pdf());
                session.append(folder, None, None, reply.build()).await.unwrap();
                claims.push((FIRST_CLAIM + i, reply.message_id()));
                i += 1;
            }
        }
        session.logout().await.unwrap();

        let baseline_jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs")
            .fetch_one(pool(&db.db))
            .await
            .unwrap();
        let fake = FakeTelegram::start().await;
        fake.add_group(STAFF_CHAT, "Staff", true);
        Self {
            db,
            dir: tempfile::tempdir().unwrap(),
            blobs: tempfile::tempdir().unwrap(),
            inbox: format!("{base}in"),
            done: format!("{base}done"),
            bad: format!("{base}bad"),
            tag,
            staging,
            fake,
            claims,
            users,
            baseline_jobs,
        }
    }

    fn db(&self) -> &sqlx::PgPool {
        pool(&self.db.db)
    }

    /// Starts a `serve` replica (HTTP on a free port).
    fn spawn(&self, name: &'static str) -> Replica {
        self.spawn_with(name, &[])
    }

    /// Starts a `serve` replica with some of its environment replaced.
    fn spawn_with(&self, name: &'static str, env: &[(&str, String)]) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = self.dir.path().join(format!("{name}.log"));
        let child = support::redeemdesk(&self.db.url, self.dir.path())
            .env("REDEEMDESK_LOG", "info,sqlx=warn")
            .env("REDEEMDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("REDEEMDESK_STORAGE__BLOB_DIR", self.blobs.path())
            .env("REDEEMDESK_SMTP__HOST", "127.0.0.1")
            .env("REDEEMDESK_SMTP__PORT", SMTP_PLAIN.to_string())
            .env("REDEEMDESK_SMTP__TLS", "none")
            .env(
                "REDEEMDESK_SMTP__FROM",
                "MSI Indonesia Promotion <support@example.test>",
            )
            .env("REDEEMDESK_SMTP__REPLY_DOMAIN", "example.test")
            .env("REDEEMDESK_IMAP__HOST", "127.0.0.1")
            .env("REDEEMDESK_IMAP__PORT", IMAP_PLAIN.to_string())
            .env("REDEEMDESK_IMAP__TLS", "none")
            .env("REDEEMDESK_IMAP__USERNAME", SUPPORT.0)
            .env("REDEEMDESK_IMAP__PASSWORD", SUPPORT.1)
            .env("REDEEMDESK_IMAP__MAILBOX", &self.inbox)
            .env("REDEEMDESK_IMAP__PROCESSED_MAILBOX", &self.done)
            .env("REDEEMDESK_IMAP__QUARANTINE_MAILBOX", &self.bad)
            .env("REDEEMDESK_TELEGRAM__TOKEN", TOKEN)
            .env("REDEEMDESK_TELEGRAM__API_URL", self.fake.url())
            .env(
                "REDEEMDESK_TELEGRAM__WEBHOOK_URL",
                format!("http://127.0.0.1:{port}{WEBHOOK_PATH}"),
            )
            .env("REDEEMDESK_TELEGRAM__STAFF_CHAT_ID", STAFF_CHAT.to_string())
            // The fake enforces no limits; Telegram's would only slow the mix down.
            .env("REDEEMDESK_TELEGRAM__MESSAGES_PER_SECOND", "10000")
            .env("REDEEMDESK_TELEGRAM__MESSAGES_PER_CHAT_PER_SECOND", "1000")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Replica { name, child, port, log }
    }

    /// "Delivers" staged batch `b`: moves it into the mailbox the poller reads.
    async fn release(&self, b: usize) {
        let mut s = imap(SUPPORT.0, SUPPORT.1).await;
        s.create(&self.inbox).await.ok();
        s.select(&self.staging[b]).await.unwrap();
        s.uid_mv("1:*", &self.inbox).await.unwrap();
        s.close().await.unwrap();
        s.delete(&self.staging[b]).await.unwrap();
        s.logout().await.unwrap();
    }

    async fn ingested(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound_mail")
            .fetch_one(self.db())
            .await
            .unwrap()
    }

    async fn wait_ingested(&self, n: i64, replicas: &mut [Replica]) {
        wait(&format!("{n} emails ingested"), replicas, || async {
            self.ingested().await >= n
        })
        .await;
    }

    /// (kind, status, attempts, count) of every job.
    async fn job_counts(&self) -> Vec<(String, String, i32, i64)> {
        sqlx::query_as(
            "SELECT kind, status, attempts, COUNT(*) FROM jobs GROUP BY kind, status, attempts ORDER BY 1, 2, 3",
        )
        .fetch_all(self.db())
        .await
        .unwrap()
    }

    /// A confirmation and a staff post per claim, a staff post per escalation.
    fn expected_jobs(&self) -> i64 {
        self.baseline_jobs + (2 * self.claims.len() + self.users) as i64
    }

    /// Waits until every job expected of the mix is done (none queued, running or dead).
    async fn wait_jobs_done(&self, replicas: &mut [Replica]) {
        let expected = self.expected_jobs();
        wait("every job done", replicas, || async {
            let counts = self.job_counts().await;
            let total: i64 = counts.iter().map(|c| c.3).sum();
            let done: i64 = counts.iter().filter(|c| c.1 == "done").map(|c| c.3).sum();
            total >= expected && done == total
        })
        .await;
    }

    /// The confirmations the customers received: (In-Reply-To, Message-ID).
    async fn confirmations(&self) -> Vec<(String, String)> {
        let mut s = imap(CUSTOMER.0, CUSTOMER.1).await;
        s.select("INBOX").await.unwrap();
        let uids = s.uid_search(format!("HEADER To \"+{}-\"", self.tag)).await.unwrap();
        let mut out = Vec::new();
        if !uids.is_empty() {
            let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            let mut fetches = s.uid_fetch(set, "BODY.PEEK[HEADER]").await.unwrap();
            while let Some(f) = fetches.next().await {
                let f = f.unwrap();
                let Some(header) = f.header() else { continue };
                let parsed = MessageParser::default().parse_headers(header).unwrap();
                let parent = parsed.in_reply_to().as_text().unwrap_or_default().to_owned();
                let id = parsed.message_id().unwrap_or_default().to_owned();
                out.push((format!("<{parent}>"), format!("<{id}>")));
            }
        }
        s.logout().await.unwrap();
        out
    }

    async fn wait_confirmations(&self, replicas: &mut [Replica]) {
        let n = self.claims.len();
        wait(&format!("{n} confirmations delivered"), replicas, || async {
            self.confirmations().await.len() >= n
        })
        .await;
    }

    /// Deletes what this run left in the mailboxes.
    async fn clean_mailboxes(&self) {
        let mut s = imap(CUSTOMER.0, CUSTOMER.1).await;
        s.select("INBOX").await.unwrap();
        let uids = s.uid_search(format!("HEADER To \"+{}-\"", self.tag)).await.unwrap();
        if !uids.is_empty() {
            let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            let updates = s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await.unwrap();
            let _: Vec<_> = updates.collect().await;
            let gone = s.expunge().await.unwrap();
            let _: Vec<_> = gone.collect().await;
        }
        s.logout().await.unwrap();
        let mut s = imap(SUPPORT.0, SUPPORT.1).await;
        for folder in [&self.inbox, &self.done, &self.bad].into_iter().chain(&self.staging) {
            let _ = s.delete(folder).await;
        }
        s.logout().await.unwrap();
    }

    /// Every user's conversation through the load balancer; returns when each
    /// update got its 200 (so was answered).
    async fn chat(&self, replicas: &[Replica]) {
        let lb = Arc::new(Balancer {
            client: reqwest::Client::new(),
            urls: replicas.iter().map(Replica::webhook).collect(),
            secret: default_secret(TOKEN),
        });
        futures::stream::iter(0..self.users)
            .map(|k| converse(lb.clone(), k))
            .buffer_unordered(16)
            .collect::<Vec<()>>()
            .await;
    }

    /// Jobs the killed replica was running: claimed before the kill and still
    /// running once everything else claimed before it has finished. Their lease
    /// would expire five minutes later; it is expired now instead.
    async fn expire_dead_leases(&self, killed_at: chrono::DateTime<Utc>) -> Vec<i64> {
        let mut last: Option<Vec<i64>> = None;
        let mut stable = 0;
        while stable < 10 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let running: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'running' AND updated_at < $1 ORDER BY id")
                    .bind(killed_at)
                    .fetch_all(self.db())
                    .await
                    .unwrap();
            if last.as_ref() == Some(&running) {
                stable += 1;
            } else {
                stable = 0;
                last = Some(running);
            }
        }
        let ids = last.unwrap_or_default();
        sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = ANY($2) AND status = 'running'")
            .bind(Utc::now() - chrono::Duration::seconds(1))
            .bind(&ids)
            .execute(self.db())
            .await
            .unwrap();
        ids
    }
}

fn address(tag: &str, i: i64) -> String {
    format!("customer3+{tag}-{i}@example.test")
}

/// One `serve` process; killed when dropped (a failed test leaves none behind).
struct Replica {
    name: &'static str,
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Replica {
    fn webhook(&self) -> String {
        format!("http://127.0.0.1:{}{WEBHOOK_PATH}", self.port)
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_some()
    }

    async fn wait_healthy(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(!self.exited(), "replica {} exited:\n{}", self.name, self.log_text());
            let ok = client
                .get(format!("{}/healthz", self.base()))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "replica {} never got healthy", self.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// User + system CPU time the process has used so far (Linux).
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // The fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // utime and stime are fields 14 and 15 of the whole line; clock ticks are 1/100 s.
        (ticks(11) + ticks(12)) / 100.0
    }

    fn kill(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    /// SIGTERM, and a clean exit.
    fn stop(&mut self) {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "{} stopped with {status}:\n{}",
            self.name,
            self.log_text()
        );
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads `redeemdesk_imap_leader` from a replica's `/metrics`; `None` when it
/// does not answer.
async fn leader_gauge(client: &reqwest::Client, base: &str) -> Option<bool> {
    let text = client
        .get(format!("{base}/metrics"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = text.lines().find_map(|l| l.strip_prefix("redeemdesk_imap_leader "))?;
    Some(value.trim() == "1")
}

/// Samples every replica's leader gauge until stopped.
struct LeaderWatch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Vec<Option<bool>>>>,
    bases: Vec<String>,
}

impl LeaderWatch {
    fn start(replicas: &[Replica]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let bases: Vec<String> = replicas.iter().map(Replica::base).collect();
        let task = {
            let (stop, bases) = (stop.clone(), bases.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut samples = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let reads = futures::future::join_all(bases.iter().map(|b| leader_gauge(&client, b))).await;
                    samples.push(reads);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
                samples
            })
        };
        Self { stop, task, bases }
    }

    /// The replica leading now (waits until exactly one does).
    async fn leader(&self) -> usize {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reads = futures::future::join_all(self.bases.iter().map(|b| leader_gauge(&client, b))).await;
            let leading: Vec<usize> = (0..reads.len()).filter(|i| reads[*i] == Some(true)).collect();
            if let [one] = leading.as_slice() {
                return *one;
            }
            assert!(Instant::now() < deadline, "no single leader: {reads:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn finish(self) -> Vec<Vec<Option<bool>>> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

/// Waits for `check`, failing early when a replica that should run has exited.
async fn wait<F, Fut>(what: &str, replicas: &mut [Replica], mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        for r in replicas.iter_mut() {
            assert!(!r.exited(), "replica {} exited:\n{}", r.name, r.log_text());
        }
        if Instant::now() > deadline {
            for r in replicas.iter() {
                eprintln!("--- {} log (end):", r.name);
                let log = r.log_text();
                let lines: Vec<&str> = log.lines().collect();
                eprintln!("{}", lines[lines.len().saturating_sub(40)..].join("\n"));
            }
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Posts updates as Telegram does behind a load balancer: to the replica the
/// balancer picks, and after any failure (no answer, or not 200) again, to the
/// next replica, until one answers 200.
struct Balancer {
    client: reqwest::Client,
    urls: Vec<String>,
    secret: String,
}

impl Balancer {
    async fn post(&self, first: usize, update: String) {
        for attempt in 0..400 {
            let url = &self.urls[(first + attempt) % self.urls.len()];
            let answered = self
                .client
                .post(url)
                .header(SECRET_HEADER, &self.secret)
                .header("content-type", "application/json")
                .body(update.clone())
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if answered {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no replica took update {update}");
    }
}

fn text_update(update_id: i64, user: i64, text: &str) -> String {
    json!({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_780_000_000, "text": text,
        "chat": {"id": user, "type": "private", "first_name": format!("User{user}")},
        "from": {"id": user, "is_bot": false, "first_name": format!("User{user}"), "language_code": "id"}
    }})
    .to_string()
}

/// User `k`'s four messages: two questions at once, one to each replica (every
/// fifth user's first also redelivered to the other replica at the same time),
/// then two messages not understood, likewise (every fifth user's second
/// redelivered).
async fn converse(lb: Arc<Balancer>, k: usize) {
    let user = FIRST_USER + k as i64;
    let update = |n: i64| 1 + 4 * k as i64 + n;
    let (first, other) = (k % 2, k % 2 + 1);
    let a = text_update(update(0), user, QUESTIONS[k % QUESTIONS.len()]);
    let b = text_update(update(1), user, QUESTIONS[(k + 1) % QUESTIONS.len()]);
    let mut posts = vec![lb.post(first, a.clone()), lb.post(other, b)];
    if k.is_multiple_of(5) {
        posts.push(lb.post(other, a));
    }
    futures::future::join_all(posts).await;
    let c = text_update(update(2), user, GIBBERISH[k % GIBBERISH.len()]);
    let d = text_update(update(3), user, GIBBERISH[(k + 1) % GIBBERISH.len()]);
    let mut posts = vec![lb.post(other, c), lb.post(first, d.clone())];
    if k % 5 == 1 {
        posts.push(lb.post(other, d));
    }
    futures::future::join_all(posts).await;
}

/// Every chat message answered exactly once, and one escalation per user.
async fn check_chat(world: &World) {
    let delivered = world.fake.delivered_counts();
    for k in 0..world.users as i64 {
        let user = FIRST_USER + k;
        assert_eq!(
            delivered.get(&user).copied().unwrap_or(0),
            4,
            "user {user} got {:?}",
            world.fake.sent_to(user)
        );
    }
    let escalations: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.external_id, COUNT(*) FROM escalations e JOIN chat_users u ON u.id = e.chat_user_id
         WHERE u.channel = 'telegram' GROUP BY u.external_id",
    )
    .fetch_all(world.db())
    .await
    .unwrap();
    let escalations: HashMap<String, i64> = escalations.into_iter().collect();
    for k in 0..world.users as i64 {
        let user = (FIRST_USER + k).to_string();
        assert_eq!(
            escalations.get(&user),
            Some(&1),
            "two messages not understood in a row open exactly one escalation (user {user}): \
             one chat's updates are handled one after the other"
        );
    }
    let handled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbound_events WHERE channel = 'telegram'")
        .fetch_one(world.db())
        .await
        .unwrap();
    assert_eq!(handled, 4 * world.users as i64);
}

/// Every email resubmitted its claim exactly once and left the mailbox.
async fn check_mail(world: &World) {
    let n = world.claims.len() as i64;
    let actions: Vec<(String, i64)> =
        sqlx::query_as("SELECT action, COUNT(*) FROM inbound_mail GROUP BY action ORDER BY action")
            .fetch_all(world.db())
            .await
            .unwrap();
    assert_eq!(actions, vec![("resubmitted".to_owned(), n)]);
    let resubmitted: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT redemption_id, COUNT(*) FROM redemption_events WHERE kind = 'resubmitted' GROUP BY redemption_id",
    )
    .fetch_all(world.db())
    .await
    .unwrap();
    let resubmitted: HashMap<i64, i64> = resubmitted.into_iter().collect();
    for (claim, _) in &world.claims {
        assert_eq!(resubmitted.get(claim), Some(&1), "claim {claim} resubmitted once");
    }
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM redemptions WHERE id >= $1 GROUP BY status")
            .bind(FIRST_CLAIM)
            .fetch_all(world.db())
            .await
            .unwrap();
    assert_eq!(statuses, vec![("under_review".to_owned(), n)]);
    assert_eq!(
        support::mail::count(&world.done).await as i64,
        n,
        "every email moved once"
    );
    assert_eq!(support::mail::count(&world.inbox).await, 0);
    assert_eq!(support::mail::count(&world.bad).await, 0, "nothing quarantined");
}

/// Every job ran exactly once — except `in_doubt` (the killed replica's), which
/// ran once or twice — judged by the outbox and by what arrived: one
/// confirmation per reply, one staff post per claim and per escalation.
async fn check_jobs(world: &World, in_doubt: &[i64]) {
    check_jobs_with(world, in_doubt, true).await
}

/// [`check_jobs`]; with `exact_runs` false, jobs may have been retried (a
/// server was down) and count as in doubt when they were.
async fn check_jobs_with(world: &World, in_doubt: &[i64], exact_runs: bool) {
    let counts = world.job_counts().await;
    let runs: i64 = counts.iter().map(|c| c.3 * i64::from(c.2)).sum();
    let total: i64 = counts.iter().map(|c| c.3).sum();
    assert_eq!(total, world.expected_jobs(), "{counts:?}");
    assert!(counts.iter().all(|c| c.1 == "done"), "{counts:?}");
    let mut in_doubt = in_doubt.to_vec();
    if exact_runs {
        assert_eq!(
            runs,
            total + in_doubt.len() as i64,
            "one attempt each, two for the jobs a killed replica was running: {counts:?}"
        );
    } else {
        // A retried job may have got through on the attempt the fault cut short.
        let retried: Vec<i64> = sqlx::query_scalar("SELECT id FROM jobs WHERE attempts > 1")
            .fetch_all(world.db())
            .await
            .unwrap();
        in_doubt.extend(retried);
    }

    // What in-doubt jobs were about: emails (by Message-ID) and staff tasks.
    let mut doubtful_emails = HashSet::new();
    let mut doubtful_tasks = Vec::new();
    for id in &in_doubt {
        let (kind, payload): (String, String) = sqlx::query_as("SELECT kind, payload FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(world.db())
            .await
            .unwrap();
        if kind == "email" {
            let mid: String = sqlx::query_scalar("SELECT message_id FROM email_log WHERE job_id = $1")
                .bind(id)
                .fetch_one(world.db())
                .await
                .unwrap();
            doubtful_emails.insert(mid);
        } else {
            doubtful_tasks.push(StaffTask::from_payload(&serde_json::from_str(&payload).unwrap()).unwrap());
        }
    }

    // One confirmation per reply, in its thread.
    let mut by_reply: HashMap<String, Vec<String>> = HashMap::new();
    for (parent, id) in world.confirmations().await {
        by_reply.entry(parent).or_default().push(id);
    }
    for (claim, reply) in &world.claims {
        let got = by_reply.get(reply).cloned().unwrap_or_default();
        let allowed = if got.iter().any(|m| doubtful_emails.contains(m)) {
            2
        } else {
            1
        };
        assert!(
            !got.is_empty() && got.len() <= allowed && got.iter().all(|m| *m == got[0]),
            "claim {claim}: confirmations {got:?}"
        );
    }
    assert_eq!(by_reply.len(), world.claims.len(), "no confirmation of anything else");

    // One staff post per claim and per escalation.
    let mut claim_posts: BTreeMap<i64, usize> = BTreeMap::new();
    let mut escalation_posts = 0;
    for body in world.fake.calls("sendMessage") {
        if body["chat_id"] != json!(STAFF_CHAT) {
            continue;
        }
        let text = body["text"].as_str().unwrap_or_default();
        let buttons = body["reply_markup"].to_string();
        if let Some(claim) = world
            .claims
            .iter()
            .map(|c| c.0)
            .find(|id| buttons.contains(&format!("approve:{id}\"")))
        {
            *claim_posts.entry(claim).or_default() += 1;
        } else if text.contains("Escalation #") {
            escalation_posts += 1;
        }
    }
    for (claim, _) in &world.claims {
        let doubtful = doubtful_tasks
            .iter()
            .any(|t| matches!(t, StaffTask::Claim { redemption_id } if redemption_id == claim));
        let n = claim_posts.get(claim).copied().unwrap_or(0);
        assert!(n == 1 || (doubtful && n == 2), "claim {claim} posted {n} times");
    }
    let doubtful_escalations = doubtful_tasks
        .iter()
        .filter(|t| matches!(t, StaffTask::Escalation { .. }))
        .count();
    assert!(
        (world.users..=world.users + doubtful_escalations).contains(&escalation_posts),
        "{escalation_posts} escalation posts"
    );
}

/// No log line at ERROR level (a failed turn would still answer, with an apology).
fn check_logs(replica: &Replica) {
    let log = replica.log_text();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(
        errors.is_empty(),
        "{} logged errors:\n{}",
        replica.name,
        errors.join("\n")
    );
}

/// The log of a whole run at the production level holds no secret and no
/// personal data: no credential (bot token, mailbox password), no customer's
/// address, name or message text, no webhook secret.
fn check_logs_private(replica: &Replica, world: &World) {
    let log = replica.log_text();
    assert!(!log.is_empty(), "{} logged nothing", replica.name);
    let secret = default_secret(TOKEN);
    let mut forbidden: Vec<(&str, String)> = vec![
        ("the bot token", TOKEN.to_owned()),
        (
            "the bot token's secret half",
            TOKEN.split(':').nth(1).unwrap().to_owned(),
        ),
        ("the mailbox password", SUPPORT.1.to_owned()),
        ("the webhook secret", secret),
        ("a customer's address", format!("customer3+{}", world.tag)),
        ("a customer's name", "Pelanggan".to_owned()),
        ("a customer's email text", "faktur yang sudah jelas".to_owned()),
    ];
    for q in QUESTIONS.iter().chain(&GIBBERISH) {
        forbidden.push(("a customer's chat message", (*q).to_owned()));
    }
    for (what, text) in &forbidden {
        if let Some(line) = log.lines().find(|l| l.contains(text.as_str())) {
            panic!("{} logged {what}: {line}", replica.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_work_and_survive_the_leader_being_killed() {
    const EMAILS: usize = 500;
    const USERS: usize = 125;
    let half = EMAILS / 2;
    let world = World::new(&[half, EMAILS - half], USERS).await;
    let mut replicas = [world.spawn("a"), world.spawn("b")];
    for r in &mut replicas {
        r.wait_healthy().await;
    }
    let watch = LeaderWatch::start(&replicas);

    // Both streams at once: the first half of the mail and all the chat.
    world.release(0).await;
    world.chat(&replicas).await;
    check_chat(&world).await;
    world.wait_ingested(half as i64, &mut replicas).await;

    // The second half; the leader dies a little way into it.
    let leader = watch.leader().await;
    let survivor = 1 - leader;
    world.release(1).await;
    world.wait_ingested(half as i64 + 25, &mut replicas).await;
    let before = world.ingested().await;
    let killed_at = Utc::now();
    let killed = Instant::now();
    replicas[leader].kill();
    assert!(
        before < EMAILS as i64,
        "the leader was killed mid-way ({before} of {EMAILS} read)"
    );
    let client = reqwest::Client::new();
    let base = replicas[survivor].base();
    while leader_gauge(&client, &base).await != Some(true) {
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "replica {} did not take over within 30 s:\n{}",
            replicas[survivor].name,
            replicas[survivor].log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let takeover = killed.elapsed();
    let in_doubt = world.expire_dead_leases(killed_at).await;

    let rest = std::slice::from_mut(&mut replicas[survivor]);
    world.wait_ingested(EMAILS as i64, rest).await;
    world.wait_jobs_done(rest).await;
    world.wait_confirmations(rest).await;
    let samples = watch.finish().await;

    check_mail(&world).await;
    check_jobs(&world, &in_doubt).await;
    check_chat(&world).await;
    for reads in &samples {
        let leaders = reads.iter().filter(|r| **r == Some(true)).count();
        assert!(leaders <= 1, "two pollers at once: {reads:?}");
    }
    let survivor_log = replicas[survivor].log_text();
    assert_eq!(
        survivor_log.matches("leadership: this replica now leads").count(),
        1,
        "{survivor_log}"
    );
    assert_eq!(
        replicas[leader]
            .log_text()
            .matches("leadership: this replica now leads")
            .count(),
        1
    );
    check_logs(&replicas[survivor]);
    check_logs(&replicas[leader]);
    check_logs_private(&replicas[survivor], &world);
    check_logs_private(&replicas[leader], &world);
    eprintln!(
        "leader {} killed after {before} emails; {} took over after {takeover:?}; \
         {} job(s) were running on the killed replica; {} gauge samples",
        replicas[leader].name,
        replicas[survivor].name,
        in_doubt.len(),
        samples.len()
    );
    replicas[survivor].stop();
    world.clean_mailboxes().await;
}

/// Throughput of the same mix on `n` replicas: the wall time from releasing
/// the mail and starting the chat traffic until everything was done (mail read,
/// jobs run, confirmations delivered), and the time each stream took.
async fn run_mix(n: usize, emails: usize, users: usize) -> String {
    let world = World::new(&[emails], users).await;
    let names = ["a", "b", "c", "d"];
    let mut replicas: Vec<Replica> = (0..n).map(|i| world.spawn(names[i])).collect();
    for r in &mut replicas {
        r.wait_healthy().await;
    }
    let started = Instant::now();
    let chat = async {
        world.chat(&replicas).await;
        started.elapsed()
    };
    let mail = async {
        world.release(0).await;
        let mut last = 0;
        while last < emails as i64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            last = world.ingested().await;
        }
        started.elapsed()
    };
    let (chat, mail) = futures::join!(chat, mail);
    world.wait_jobs_done(&mut replicas).await;
    let jobs = started.elapsed();
    world.wait_confirmations(&mut replicas).await;
    let all = started.elapsed();
    check_mail(&world).await;
    check_jobs(&world, &[]).await;
    check_chat(&world).await;
    let cpu: f64 = replicas.iter().map(Replica::cpu_seconds).sum();
    for r in &mut replicas {
        r.stop();
    }
    world.clean_mailboxes().await;
    let messages = 4 * users;
    let jobs_n = 2 * emails + users;
    format!(
        "{n} replica(s): {emails} emails + {messages} chat messages + {jobs_n} jobs in {:.1} s \
         ({:.1} items/s); chat answered in {:.1} s ({:.0} msg/s), mail read in {:.1} s ({:.1} emails/s), \
         jobs done at {:.1} s, last confirmation at {:.1} s; the replicas used {cpu:.1} s of CPU",
        all.as_secs_f64(),
        (emails + messages + jobs_n) as f64 / all.as_secs_f64(),
        chat.as_secs_f64(),
        messages as f64 / chat.as_secs_f64(),
        mail.as_secs_f64(),
        emails as f64 / mail.as_secs_f64(),
        jobs.as_secs_f64(),
        all.as_secs_f64(),
    )
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --test it replicas:: -- --ignored --nocapture"]
async fn bench_one_and_two_replicas_on_the_same_mix() {
    let emails = env_or("REPLICAS_BENCH_EMAILS", 500);
    let users = env_or("REPLICAS_BENCH_USERS", 125);
    let rounds = env_or("REPLICAS_BENCH_ROUNDS", 1);
    for round in 1..=rounds {
        // Alternate which goes first: the shared machine's load drifts.
        let order = if round % 2 == 1 { [1, 2] } else { [2, 1] };
        for n in order {
            println!("round {round}: {}", run_mix(n, emails, users).await);
        }
    }
}

/// The lead is lost as soon as its lock's session ends (here: terminated by an
/// administrator, as a database failover would): `lost` fires within a check
/// or two, the gauge drops, and another process can lead.
#[tokio::test]
async fn a_leader_whose_session_ends_knows_within_seconds() {
    use redeemdesk::mail::imap::LEADER_KEY;
    use redeemdesk::store::leader::{CHECK_EVERY, CHECK_TIMEOUT, leads};
    let db = TestDb::postgres().await;
    let other = Db::connect(&db.url).await.unwrap();
    let mut lead = db.db.try_lead(LEADER_KEY).await.unwrap().expect("nobody leads yet");
    assert!(leads(LEADER_KEY));
    assert!(other.try_lead(LEADER_KEY).await.unwrap().is_none());
    let ended: i64 = sqlx::query_scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(pool(&db.db))
    .await
    .unwrap();
    assert_eq!(ended, 1);
    let noticed = Instant::now();
    tokio::time::timeout(CHECK_EVERY + CHECK_TIMEOUT + Duration::from_secs(1), lead.lost())
        .await
        .expect("the loss is noticed within one check");
    eprintln!("lost after {:?}", noticed.elapsed());
    assert!(!lead.holds().await);
    assert!(!leads(LEADER_KEY), "the gauge drops with the lead");
    let taken = other.try_lead(LEADER_KEY).await.unwrap();
    assert!(taken.is_some(), "another process leads now");
    drop(lead);
    drop(taken);
}

/// One `serve` on PostgreSQL killed with SIGKILL again and again at random
/// points while it reads a mailbox of corrected invoices (mid-fetch, mid-
/// transaction, mid-move, mid-send: wherever the kill lands), restarted each
/// time, and finally left to finish. Afterwards every email was acted on
/// exactly once (resubmitted once, moved once), every resubmission has its
/// confirmation in the customer's mailbox, and every job ran once, or twice
/// when a kill caught it running. CI runs 15 cycles over 150 emails;
/// `scripts/kill9.sh` runs the long version (100 cycles over 1,000 emails;
/// last result in `docs/security.md`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_again_and_again_mid_ingest_acts_on_every_email_once() {
    let emails = env_or("REDEEMDESK_KILL9_EMAILS", 150);
    let cycles = env_or("REDEEMDESK_KILL9_CYCLES", 15);
    // How long each life lasts at most: short enough that the kills land
    // while the mailbox is still being read (the long run sets it lower).
    let max_life = env_or("REDEEMDESK_KILL9_MAX_LIFE_MS", 3_000).max(301) as u64;
    let world = World::new(&[emails], 0).await;
    world.release(0).await;
    let mut in_doubt = Vec::new();
    let mut progress = Vec::new();
    for _ in 0..cycles {
        let mut replica = world.spawn("k");
        // From just after start (connecting, taking the lead) to well into the mailbox.
        let delay = Duration::from_millis(rand::random_range(300..max_life));
        tokio::time::sleep(delay).await;
        assert!(!replica.exited(), "serve exited by itself:\n{}", replica.log_text());
        replica.kill();
        // Nothing else runs now: what is still `running` was the killed process's.
        // Its lease would expire in minutes; expire it now, as the next start will find it.
        let running: Vec<i64> =
            sqlx::query_scalar("UPDATE jobs SET lease_until = $1 WHERE status = 'running' RETURNING id")
                .bind(Utc::now() - chrono::Duration::seconds(1))
                .fetch_all(world.db())
                .await
                .unwrap();
        in_doubt.extend(running);
        progress.push(world.ingested().await);
    }
    let mut last = [world.spawn("last")];
    world.wait_ingested(emails as i64, &mut last).await;
    world.wait_jobs_done(&mut last).await;
    world.wait_confirmations(&mut last).await;

    check_mail(&world).await;
    check_jobs(&world, &in_doubt).await;
    check_logs(&last[0]);
    check_logs_private(&last[0], &world);
    let mid_ingest = progress.iter().filter(|&&n| n < emails as i64).count();
    eprintln!(
        "{cycles} kills over {emails} emails, {mid_ingest} of them before the last email was read; \
         ingested after each kill: {progress:?}; {} job run(s) cut short by a kill",
        in_doubt.len()
    );
    last[0].stop();
    world.clean_mailboxes().await;
}

/// Faults from outside while `serve` works through a mailbox of corrected
/// invoices: the IMAP server goes away mid-fetch, PostgreSQL is restarted (a
/// server of the test's own, `support::pg_server`: stopped, down for 5 s,
/// started), the SMTP server is down while confirmations are due. The mail
/// faults are real connections cut between `serve` and the real servers
/// (`support::outage`). Afterwards every email
/// was acted on exactly once, nothing was quarantined, and every resubmission
/// was confirmed; jobs whose outcome could not be recorded while the database
/// was away ran at most twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_and_the_mail_servers_going_away_mid_run_lose_nothing() {
    use support::outage::Outage;
    use support::pg_server::PgServer;
    const EMAILS: usize = 200;
    // A PostgreSQL server of this test's own, so it can really be restarted
    // (declared first: it outlives the database the world drops).
    let server = PgServer::start();
    let world = World::new_with(TestDb::postgres_on(&server.admin_url(), "").await, &[EMAILS], 0).await;
    // A transparent relay in front of it, only to see serve's live sessions.
    let pg = Outage::start(format!("127.0.0.1:{}", server.port).parse().unwrap()).await;
    let imap_relay = Outage::start(format!("127.0.0.1:{IMAP_PLAIN}").parse().unwrap()).await;
    let smtp_relay = Outage::start(format!("127.0.0.1:{SMTP_PLAIN}").parse().unwrap()).await;
    let url = world.db.url.replace(
        &format!("127.0.0.1:{}", server.port),
        &format!("127.0.0.1:{}", pg.port()),
    );
    assert_ne!(url, world.db.url, "the database is reached through the relay");
    let mut replica = [world.spawn_with(
        "f",
        &[
            ("DATABASE_URL", url),
            ("REDEEMDESK_IMAP__PORT", imap_relay.port().to_string()),
            ("REDEEMDESK_SMTP__PORT", smtp_relay.port().to_string()),
        ],
    )];
    replica[0].wait_healthy().await;
    world.release(0).await;

    // The IMAP server goes away in the middle of the mailbox.
    world.wait_ingested(20, &mut replica).await;
    imap_relay.down();
    tokio::time::sleep(Duration::from_secs(3)).await;
    imap_relay.up();
    assert!(imap_relay.cut() > 0, "the IMAP fault hit a live session");

    // The SMTP server is down while confirmations are due, and stays down
    // across the database's restart.
    world.wait_ingested(60, &mut replica).await;
    smtp_relay.down();
    world.wait_ingested(80, &mut replica).await;
    // PostgreSQL restarts: stopped (every session terminated), down for 5 s,
    // started again.
    let live = pg.open();
    assert!(live > 0, "serve has live database sessions when the server stops");
    server.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    server.start_again();
    let back = Utc::now();
    tokio::time::sleep(Duration::from_secs(10)).await;
    smtp_relay.up();

    // Jobs whose end could not be written while the database was away keep
    // their lease (minutes); expire it now instead of waiting.
    let in_doubt = world.expire_dead_leases(back).await;
    world.wait_ingested(EMAILS as i64, &mut replica).await;
    world.wait_jobs_done(&mut replica).await;
    world.wait_confirmations(&mut replica).await;
    check_mail(&world).await;
    check_jobs_with(&world, &in_doubt, false).await;
    check_logs_private(&replica[0], &world);
    eprintln!(
        "database restarted under {live} live session(s); connections cut: IMAP {}, SMTP {}; {} job(s) in doubt",
        imap_relay.cut(),
        smtp_relay.cut(),
        in_doubt.len()
    );
    replica[0].stop();
    world.clean_mailboxes().await;
}

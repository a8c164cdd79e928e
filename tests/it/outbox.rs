//! The transactional outbox on both backends: jobs exist only if their
//! transaction committed; retries with backoff; dead letters and their retry;
//! a worker that dies mid-job; two workers (two pools, as two processes would
//! have) never running one job twice; shutdown letting running jobs finish.
//! The performer here is a test's own: the outbox is what is under test.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::future::BoxFuture;
use redeemdesk::jobs::{ClaimedJob, JobError, JobKind, JobStatus, NewJob, Performer, Worker, WorkerOptions};
use redeemdesk::store::Db;
use serde_json::json;
use support::{TestDb, both_backends};

/// Counts runs per job; behaves as the payload says:
/// `{"fail": n}` fails transiently n times, `{"permanent": true}` fails for
/// good, `{"hang_first": true}` never finishes its first attempt, `{"sleep_ms": n}`.
#[derive(Default)]
struct Recorder {
    runs: Mutex<HashMap<i64, u32>>,
    /// Jobs running right now, and the most ever at once for one job.
    running: Mutex<HashMap<i64, u32>>,
    overlap: Mutex<u32>,
}

impl Recorder {
    fn runs(&self, id: i64) -> u32 {
        self.runs.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
}

impl Performer for Recorder {
    fn perform<'a>(&'a self, job: &'a ClaimedJob) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            *self.runs.lock().unwrap().entry(job.id).or_default() += 1;
            {
                let mut running = self.running.lock().unwrap();
                let n = running.entry(job.id).or_default();
                *n += 1;
                let mut overlap = self.overlap.lock().unwrap();
                *overlap = (*overlap).max(*n);
            }
            let p = &job.payload;
            if p["hang_first"] == true && job.attempt == 1 {
                std::future::pending::<()>().await;
            }
            if let Some(ms) = p["sleep_ms"].as_u64() {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            *self.running.lock().unwrap().get_mut(&job.id).unwrap() -= 1;
            if p["permanent"] == true {
                return Err(JobError::Permanent("550 no such user".into()));
            }
            if i64::from(job.attempt) <= p["fail"].as_i64().unwrap_or(0) {
                return Err(JobError::Transient(format!("421 try later (attempt {})", job.attempt)));
            }
            Ok(())
        })
    }
}

fn quick() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        poll: Duration::from_millis(20),
        lease: Duration::from_secs(60),
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..Default::default()
    }
}

async fn enqueue(db: &Db, payload: serde_json::Value, max_attempts: i32) -> i64 {
    let mut tx = db.begin_write().await.unwrap();
    let mut job = NewJob::new(JobKind::Email, payload, Utc::now());
    job.max_attempts = max_attempts;
    let id = tx.enqueue_job(&job, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn status(db: &Db, id: i64) -> redeemdesk::jobs::JobRecord {
    db.begin()
        .await
        .unwrap()
        .job(id)
        .await
        .unwrap()
        .expect("the job exists")
}

/// Drains until `id` is done or dead (retries are scheduled a little later).
async fn settle(worker: &Worker, db: &Db, id: i64) -> redeemdesk::jobs::JobRecord {
    for _ in 0..500 {
        worker.drain().await.unwrap();
        let job = status(db, id).await;
        if matches!(job.status, JobStatus::Done | JobStatus::Dead) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} never settled: {:?}", status(db, id).await);
}

both_backends! {
    async fn only_committed_jobs_run_and_each_once(db: Db) {
        let recorder = Arc::new(Recorder::default());
        let worker = Worker::new(db.clone(), recorder.clone(), quick());
        let mut tx = db.begin_write().await.unwrap();
        tx.enqueue_job(&NewJob::new(JobKind::Email, json!({"lost": true}), Utc::now()), Utc::now()).await.unwrap();
        drop(tx); // rolled back: the change it belonged to never happened
        let kept = enqueue(&db, json!({"kept": true}), 5).await;
        let all = db.begin().await.unwrap().jobs(None, 10).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].payload, json!({"kept": true}));
        assert_eq!(worker.drain().await.unwrap(), 1);
        assert_eq!(recorder.runs(kept), 1);
        let job = status(&db, kept).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Done, 1));
        assert_eq!(worker.drain().await.unwrap(), 0, "a done job is not run again");
    }

    async fn transient_failures_are_retried_until_they_succeed(db: Db) {
        let recorder = Arc::new(Recorder::default());
        let worker = Worker::new(db.clone(), recorder.clone(), quick());
        let id = enqueue(&db, json!({"fail": 2}), 5).await;
        worker.drain().await.unwrap();
        let after_first = status(&db, id).await;
        assert_eq!(after_first.status, JobStatus::Queued);
        assert!(after_first.run_at > after_first.created_at, "the retry waits (backoff)");
        assert!(after_first.last_error.as_deref().unwrap().contains("421"));
        let job = settle(&worker, &db, id).await;
        assert_eq!((job.status, job.attempts, job.last_error), (JobStatus::Done, 3, None));
        assert_eq!(recorder.runs(id), 3);
    }

    async fn jobs_are_dead_lettered_after_max_attempts_and_can_be_retried(db: Db) {
        let recorder = Arc::new(Recorder::default());
        let worker = Worker::new(db.clone(), recorder.clone(), quick());
        let id = enqueue(&db, json!({"fail": 100}), 3).await;
        let job = settle(&worker, &db, id).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Dead, 3));
        let dead = db.begin().await.unwrap().jobs(Some(JobStatus::Dead), 10).await.unwrap();
        assert_eq!(dead.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);

        // Permanent errors are not retried at all.
        let permanent = enqueue(&db, json!({"permanent": true}), 8).await;
        let job = settle(&worker, &db, permanent).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));
        assert!(job.last_error.unwrap().contains("550"));

        // A person fixed the cause: the job goes back in the queue with fresh attempts.
        let mut tx = db.begin_write().await.unwrap();
        assert!(tx.retry_job(permanent, Utc::now()).await.unwrap());
        assert!(!tx.retry_job(permanent, Utc::now()).await.unwrap(), "only dead jobs");
        tx.commit().await.unwrap();
        assert_eq!(status(&db, permanent).await.status, JobStatus::Queued);
    }

    async fn a_job_whose_worker_died_runs_again_after_its_lease(db: Db) {
        let recorder = Arc::new(Recorder::default());
        let id = enqueue(&db, json!({"hang_first": true}), 5).await;
        let mut short = quick();
        short.lease = Duration::from_millis(300);
        let doomed = Worker::new(db.clone(), recorder.clone(), short.clone());
        let (_stop, rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move { doomed.run(rx).await });
        while recorder.runs(id) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        task.abort(); // the process died mid-job: no outcome recorded
        let _ = task.await;
        assert_eq!(status(&db, id).await.status, JobStatus::Running);

        let rescuer = Worker::new(db.clone(), recorder.clone(), short);
        let job = settle(&rescuer, &db, id).await;
        assert_eq!((job.status, job.attempts), (JobStatus::Done, 2));
        assert_eq!(recorder.runs(id), 2);
    }

    async fn shutdown_lets_running_jobs_finish(db: Db) {
        let recorder = Arc::new(Recorder::default());
        let id = enqueue(&db, json!({"sleep_ms": 400}), 5).await;
        let worker = Worker::new(db.clone(), recorder.clone(), quick());
        let (stop, rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move { worker.run(rx).await });
        while recorder.runs(id) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(true).unwrap();
        task.await.unwrap();
        assert_eq!(status(&db, id).await.status, JobStatus::Done);
    }
}

/// Two workers with their own pools on one database, as two processes would
/// be: every job runs exactly once, never two at a time.
async fn two_workers_each_job_once(test_db: TestDb) {
    let db = test_db.db.clone();
    let mut ids = Vec::new();
    for _ in 0..120 {
        ids.push(enqueue(&db, json!({"sleep_ms": 5}), 5).await);
    }
    let recorder = Arc::new(Recorder::default());
    let other_pool = Db::connect(&test_db.url).await.unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for pool in [db.clone(), other_pool] {
        let worker = Worker::new(pool, recorder.clone(), quick());
        let rx = rx.clone();
        tasks.push(tokio::spawn(async move { worker.run(rx).await }));
    }
    for _ in 0..1000 {
        let left = db
            .begin()
            .await
            .unwrap()
            .jobs(Some(JobStatus::Queued), 1000)
            .await
            .unwrap()
            .len()
            + db.begin()
                .await
                .unwrap()
                .jobs(Some(JobStatus::Running), 1000)
                .await
                .unwrap()
                .len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    for id in ids {
        assert_eq!(recorder.runs(id), 1, "job {id}");
        assert_eq!(status(&db, id).await.status, JobStatus::Done);
    }
    assert_eq!(*recorder.overlap.lock().unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_run_each_job_exactly_once() {
    two_workers_each_job_once(TestDb::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_sqlite_run_each_job_exactly_once() {
    two_workers_each_job_once(TestDb::sqlite().await).await;
}

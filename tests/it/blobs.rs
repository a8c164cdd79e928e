//! The blob store on a local directory (as before) and on an S3-compatible
//! bucket: the fake in `support/fake_s3.rs` speaks S3 as object_store calls it
//! and verifies each request's SigV4 signature. Two store instances (two
//! replicas) share blobs; 5xx and slow answers are retried; a store that keeps
//! failing is an error, never a success; start-up names what is wrong; and a
//! photo sent to the Telegram bot of a running application lands in the bucket.

use crate::support;
// Not (yet) in `support/mod.rs`, which other tests share.
use crate::support::fake_s3;

use std::time::Duration;

use chrono::Utc;
use fake_s3::{ACCESS_KEY, BUCKET, FakeS3, Fault, REGION, SECRET_KEY};
use redeemdesk::blobs::{BlobError, BlobStore, S3Settings, sha256_hex};
use redeemdesk::config::Config;

const PREFIX: &str = "redeemdesk/blobs";

/// What a customer might send: a few hundred kB that are not all alike.
fn invoice(seed: u8) -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8 ^ seed).collect()
}

fn settings(fake: &FakeS3) -> S3Settings {
    let mut s = fake.settings(BUCKET);
    s.prefix = Some(PREFIX.into());
    s
}

fn object_key(key: &str) -> String {
    format!("{PREFIX}/{key}")
}

fn object_path(key: &str) -> String {
    format!("/{BUCKET}/{}", object_key(key))
}

#[tokio::test]
async fn a_local_directory_works_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.storage.blob_dir = dir.path().to_owned();
    let store = BlobStore::from_config(&config.storage).unwrap();
    assert_eq!(store.dir(), Some(dir.path()));
    store.check().await.unwrap();

    let bytes = invoice(1);
    let stored = store.put(&bytes).await.unwrap();
    let sha = sha256_hex(&bytes);
    assert_eq!(stored.sha256, sha);
    assert_eq!(stored.key, format!("sha256/{}/{sha}", &sha[..2]));
    assert_eq!(stored.bytes, bytes.len() as u64);
    // On disk under its key, and nothing else (no temporary file left).
    assert_eq!(std::fs::read(dir.path().join(&stored.key)).unwrap(), bytes);
    let folder: Vec<_> = std::fs::read_dir(dir.path().join("sha256").join(&sha[..2]))
        .unwrap()
        .collect();
    assert_eq!(folder.len(), 1);
    assert_eq!(store.put(&bytes).await.unwrap(), stored, "the same bytes, the same key");
    // Another instance on the same directory reads it.
    assert_eq!(BlobStore::new(dir.path()).get(&stored.key).await.unwrap(), bytes);
    assert!(matches!(store.get("../x").await, Err(BlobError::BadKey(_))));
    let missing = BlobStore::key_for(&sha256_hex(b"never stored"));
    assert!(matches!(store.get(&missing).await, Err(BlobError::Io { .. })));
}

#[tokio::test]
async fn two_replicas_share_blobs_through_the_bucket() {
    let fake = FakeS3::start().await;
    let replica_a = BlobStore::s3(&settings(&fake)).unwrap();
    let replica_b = BlobStore::s3(&settings(&fake)).unwrap();
    replica_a.check().await.unwrap();
    replica_b.check().await.unwrap();
    assert!(replica_a.dir().is_none());
    assert_eq!(
        replica_a.location(),
        format!("s3://{BUCKET}/{PREFIX} at {}", fake.endpoint())
    );

    let bytes = invoice(2);
    let stored = replica_a.put(&bytes).await.unwrap();
    assert_eq!(stored.key, BlobStore::key_for(&sha256_hex(&bytes)));
    assert_eq!(fake.object(BUCKET, &object_key(&stored.key)), Some(bytes.clone()));
    assert_eq!(
        replica_b.get(&stored.key).await.unwrap(),
        bytes,
        "the other replica reads it"
    );

    // The same bytes from the other replica: the same key, still one object.
    assert_eq!(replica_b.put(&bytes).await.unwrap(), stored);
    let other = replica_b.put(&invoice(3)).await.unwrap();
    assert_eq!(replica_a.get(&other.key).await.unwrap(), invoice(3));
    assert_eq!(fake.keys(BUCKET), {
        let mut keys = vec![object_key(&stored.key), object_key(&other.key)];
        keys.sort();
        keys
    });

    // A key never stored is an error naming the store; a malformed key never
    // reaches the store.
    let missing = BlobStore::key_for(&sha256_hex(b"never stored"));
    let err = replica_a.get(&missing).await.unwrap_err();
    assert!(
        matches!(
            &err,
            BlobError::Remote {
                source: object_store::Error::NotFound { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&format!("s3://{BUCKET}/{PREFIX}")), "{err}");
    let before = fake.seen().len();
    assert!(matches!(
        replica_a.get("sha256/../../etc").await,
        Err(BlobError::BadKey(_))
    ));
    assert_eq!(fake.seen().len(), before);

    // Every request was signed with the configured key, and accepted.
    let seen = fake.seen();
    assert!(
        seen.iter().all(|s| s.access_key.as_deref() == Some(ACCESS_KEY)),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| s.status == 200 || (s.method == "GET" && s.status == 404)),
        "{seen:?}"
    );
}

#[tokio::test]
async fn server_errors_and_slow_answers_are_retried() {
    let fake = FakeS3::start().await;
    let mut s = settings(&fake);
    s.request_timeout = Duration::from_millis(500);
    let store = BlobStore::s3(&s).unwrap();

    let bytes = invoice(4);
    fake.fail_next(Some("PUT"), Fault::Status(503), 1);
    let stored = store.put(&bytes).await.unwrap();
    assert_eq!(fake.statuses("PUT", &object_path(&stored.key)), vec![503, 200]);
    assert_eq!(fake.object(BUCKET, &object_key(&stored.key)), Some(bytes.clone()));

    fake.fail_next(Some("GET"), Fault::Status(500), 2);
    assert_eq!(store.get(&stored.key).await.unwrap(), bytes);
    assert_eq!(fake.statuses("GET", &object_path(&stored.key)), vec![500, 500, 200]);

    // An answer slower than the timeout: the attempt is given up and made again.
    fake.fail_next(Some("PUT"), Fault::Slow(Duration::from_secs(2)), 1);
    let started = std::time::Instant::now();
    let again = store.put(&invoice(5)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(fake.object(BUCKET, &object_key(&again.key)), Some(invoice(5)));
}

#[tokio::test]
async fn a_store_that_keeps_failing_is_an_error_and_nothing_claims_success() {
    let fake = FakeS3::start().await;
    let mut s = settings(&fake);
    s.request_timeout = Duration::from_millis(300);
    let store = BlobStore::s3(&s).unwrap();
    let bytes = invoice(6);
    let key = BlobStore::key_for(&sha256_hex(&bytes));

    fake.fail_always(Some("PUT"), Fault::Status(503));
    let err = store.put(&bytes).await.unwrap_err();
    assert!(matches!(err, BlobError::Remote { .. }), "{err:?}");
    assert!(err.to_string().contains("503"), "{err}");
    // The first attempt and every retry, then the error.
    assert_eq!(fake.statuses("PUT", &object_path(&key)), vec![503; s.max_retries + 1]);
    assert_eq!(fake.object(BUCKET, &object_key(&key)), None);

    fake.fail_always(Some("PUT"), Fault::Slow(Duration::from_secs(1)));
    assert!(store.put(&bytes).await.is_err(), "timed out every time");
    fake.heal();
    tokio::time::sleep(Duration::from_secs(1)).await; // the slow answers finish
    assert_eq!(fake.object(BUCKET, &object_key(&key)), None, "no attempt got through");

    let stored = store.put(&bytes).await.unwrap();
    fake.fail_always(Some("GET"), Fault::Status(500));
    let err = store.get(&stored.key).await.unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    fake.heal();
    assert_eq!(store.get(&stored.key).await.unwrap(), bytes);
}

#[tokio::test]
async fn start_up_checks_name_what_is_wrong() {
    let fake = FakeS3::start().await;
    let check = |s: S3Settings| async move { BlobStore::s3(&s).unwrap().check().await };
    check(settings(&fake)).await.unwrap();

    let mut wrong_secret = settings(&fake);
    wrong_secret.secret_access_key = "not-the-secret".to_owned().into();
    let err = check(wrong_secret).await.unwrap_err().to_string();
    assert!(
        err.contains("credentials") && err.contains("SignatureDoesNotMatch"),
        "{err}"
    );
    assert!(!err.contains("not-the-secret") && !err.contains(SECRET_KEY), "{err}");

    let mut wrong_key = settings(&fake);
    wrong_key.access_key_id = "AKIDSOMEONEELSE".into();
    let err = check(wrong_key).await.unwrap_err().to_string();
    assert!(
        err.contains("credentials") && err.contains("InvalidAccessKeyId"),
        "{err}"
    );

    let err = check(fake.settings("no-such-bucket")).await.unwrap_err().to_string();
    assert!(
        err.contains("does not exist") && err.contains("s3://no-such-bucket"),
        "{err}"
    );

    // Nothing listens there: connection refused, retried, then reported.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut nowhere = settings(&fake);
    nowhere.endpoint = Some(format!("http://127.0.0.1:{port}"));
    let err = check(nowhere).await.unwrap_err().to_string();
    assert!(err.contains("unreachable"), "{err}");

    // Through the application: the same error, before anything else starts.
    let db = support::TestDb::sqlite().await;
    let mut config = bucket_config(&fake, &db.url);
    config.storage.s3_secret_access_key = Some("not-the-secret".to_owned().into());
    let err = redeemdesk::app::Application::build(&config)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("credentials"), "{err}");
}

/// `redeemdesk serve` with a bucket configured in the environment that
/// refuses its credentials stops at once with one clear line.
#[tokio::test]
async fn serve_refuses_to_start_on_a_bucket_it_cannot_use() {
    let fake = FakeS3::start().await;
    let db = support::TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let serve = support::redeemdesk(&db.url, dir.path())
        .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
        .env("REDEEMDESK_STORAGE__S3_BUCKET", BUCKET)
        .env("REDEEMDESK_STORAGE__S3_ENDPOINT", fake.endpoint())
        .env("REDEEMDESK_STORAGE__S3_ALLOW_HTTP", "true")
        .env("REDEEMDESK_STORAGE__S3_ACCESS_KEY_ID", ACCESS_KEY)
        .env("REDEEMDESK_STORAGE__S3_SECRET_ACCESS_KEY", "not-the-secret")
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Waited for off the runtime's thread: the fake must keep answering.
    let out = tokio::task::spawn_blocking(move || serve.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("redeemdesk: blob store s3://invoices") && last.contains("credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
    // One ListObjectsV2 (retried? no: a 403 is final), then nothing.
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].method == "GET" && seen[0].query.contains("list-type=2") && seen[0].status == 403);
}

/// The fake itself against object_store's client: head, list with a
/// delimiter, delete, and an unsigned request refused.
#[tokio::test]
async fn the_fake_speaks_s3_as_object_store_calls_it() {
    use object_store::path::Path;
    use object_store::{ObjectStore, ObjectStoreExt};
    let fake = FakeS3::start().await;
    redeemdesk::blobs::install_crypto_provider();
    let s3 = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region(REGION)
        .with_endpoint(fake.endpoint())
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .with_allow_http(true)
        .build()
        .unwrap();
    for (path, body) in [("a/one", "1"), ("a/deeper/two", "22"), ("b/three", "333")] {
        s3.put(&Path::from(path), body.as_bytes().to_vec().into())
            .await
            .unwrap();
    }
    let meta = s3.head(&Path::from("a/deeper/two")).await.unwrap();
    assert_eq!(meta.size, 2);
    assert!(meta.e_tag.is_some());
    let listed = s3.list_with_delimiter(Some(&Path::from("a"))).await.unwrap();
    assert_eq!(listed.objects.len(), 1);
    assert_eq!(listed.objects[0].location, Path::from("a/one"));
    assert_eq!(listed.common_prefixes, vec![Path::from("a/deeper")]);
    let top = s3.list_with_delimiter(None).await.unwrap();
    assert_eq!(top.common_prefixes, vec![Path::from("a"), Path::from("b")]);
    s3.delete(&Path::from("b/three")).await.unwrap();
    assert!(matches!(
        s3.head(&Path::from("b/three")).await,
        Err(object_store::Error::NotFound { .. })
    ));
    assert_eq!(fake.keys(BUCKET), vec!["a/deeper/two", "a/one"]);

    let unsigned = reqwest::Client::new()
        .get(format!("{}/{BUCKET}/a/one", fake.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 403);
    assert!(unsigned.text().await.unwrap().contains("AccessDenied"));
}

/// Storage in the fake's bucket, HTTP on a free port, the given database.
fn bucket_config(fake: &FakeS3, database_url: &str) -> Config {
    let mut config = Config::default();
    config.database.url = database_url.to_owned();
    config.http.bind = "127.0.0.1:0".into();
    config.storage.blob_dir = "/nonexistent/never-used".into();
    config.storage.s3_bucket = Some(BUCKET.into());
    config.storage.s3_endpoint = Some(fake.endpoint());
    config.storage.s3_allow_http = true;
    config.storage.s3_access_key_id = Some(ACCESS_KEY.into());
    config.storage.s3_secret_access_key = Some(SECRET_KEY.to_owned().into());
    config.storage.s3_prefix = Some(PREFIX.into());
    config
}

/// `serve`'s wiring end to end: a photo a customer sends the Telegram bot is
/// fetched from Telegram and kept in the bucket, where another replica reads it.
#[tokio::test]
async fn a_photo_sent_on_telegram_lands_in_the_bucket() {
    use support::fake_telegram::{FakeTelegram, TOKEN};
    let fake = FakeS3::start().await;
    let telegram = FakeTelegram::start().await;
    let db = support::TestDb::sqlite().await;
    redeemdesk::import::import_json(&db.db, redeemdesk::import::DEMO_JSON, Utc::now())
        .await
        .unwrap();
    let mut config = bucket_config(&fake, &db.url);
    config.telegram.token = Some(TOKEN.to_owned().into());
    config.telegram.api_url = Some(telegram.url());
    config.storage.validate().unwrap();
    let app = redeemdesk::app::Application::build(&config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let photo = invoice(7);
    telegram.photo(4100, "id", &photo);
    let sent = telegram.wait_for(4100, 1).await;
    assert!(sent[0].contains("email"), "{sent:?}");
    let mut tx = db.db.begin().await.unwrap();
    let user = tx
        .chat_user(redeemdesk::domain::Channel::Telegram, "4100", Utc::now())
        .await
        .unwrap();
    let uploads = tx.chat_uploads(user.id).await.unwrap();
    drop(tx);
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    let key = &uploads[0].blob_key;
    assert_eq!(*key, BlobStore::key_for(&sha256_hex(&photo)));
    assert_eq!(
        fake.object(BUCKET, &object_key(key)),
        Some(photo.clone()),
        "in the bucket"
    );
    let other_replica = BlobStore::from_config(&config.storage).unwrap();
    assert_eq!(other_replica.get(key).await.unwrap(), photo);
    assert!(fake.statuses("PUT", &object_path(key)).contains(&200));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

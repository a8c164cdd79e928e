//! Discord sharded across replicas: each replica runs the shard range its
//! configuration names (`discord.shard_count`, `discord.shards`), through the
//! real serenity client against the fake gateway in `support/fake_discord.rs`;
//! unconfigured, one process runs the one shard as before; a range outside
//! the total is refused when the configuration is read.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use redeemdesk::channels::discord::Discord;
use redeemdesk::config::Config;
use serde_json::{Value, json};
use support::fake_discord::{FakeDiscord, TOKEN};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(15);

/// A replica's configuration as the environment gives it.
fn config(fake: &FakeDiscord, blobs: &std::path::Path, shards: &[(&str, &str)]) -> Config {
    let mut env = vec![
        ("DISCORD_TOKEN".to_owned(), TOKEN.to_owned()),
        ("REDEEMDESK_DISCORD__API_URL".to_owned(), fake.api_url()),
        ("REDEEMDESK_STORAGE__BLOB_DIR".to_owned(), blobs.display().to_string()),
    ];
    env.extend(shards.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::load_from(None, env).unwrap()
}

struct Replica {
    discord: Arc<Discord>,
    stop: watch::Sender<bool>,
    run: tokio::task::JoinHandle<()>,
}

/// Connects as `serve` does (`app::connect_discord`) and runs the gateway.
async fn replica(config: &Config, db: &redeemdesk::store::Db) -> Replica {
    let token = config.discord.token.clone().unwrap();
    let discord = redeemdesk::app::connect_discord(config, &token, db).await.unwrap();
    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(discord.clone().run(stopped));
    Replica { discord, stop, run }
}

impl Replica {
    async fn stop(self) {
        self.stop.send_replace(true);
        tokio::time::timeout(WAIT, self.run).await.unwrap().unwrap();
    }
}

fn sorted(mut shards: Vec<Value>) -> Vec<Value> {
    shards.sort_by_key(|s| s[0].as_u64());
    shards
}

#[tokio::test]
async fn two_replicas_run_one_shard_each() {
    let fake = FakeDiscord::start().await;
    let db = support::TestDb::sqlite().await;
    let blobs = tempfile::tempdir().unwrap();
    let mut replicas = Vec::new();
    for range in ["0-0", "1-1"] {
        let config = config(
            &fake,
            blobs.path(),
            &[
                ("REDEEMDESK_DISCORD__SHARD_COUNT", "2"),
                ("REDEEMDESK_DISCORD__SHARDS", range),
            ],
        );
        replicas.push(replica(&config, &db.db).await);
    }
    fake.wait_gateway(|s| s.readies >= 2, WAIT).await;
    for r in &replicas {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !r.discord.is_connected() {
            assert!(tokio::time::Instant::now() < deadline, "every replica connects");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Nothing more comes: each shard identified once, by one replica.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sorted(fake.identified_shards()), vec![json!([0, 2]), json!([1, 2])]);
    assert_eq!(fake.gateway_stats().readies, 2);
    for r in replicas {
        r.stop().await;
    }
}

#[tokio::test]
async fn one_replica_may_run_several_shards_or_by_default_the_one() {
    let fake = FakeDiscord::start().await;
    let db = support::TestDb::sqlite().await;
    let blobs = tempfile::tempdir().unwrap();

    // Unconfigured: today's behaviour, the one shard of an unsharded bot.
    let single = replica(&config(&fake, blobs.path(), &[]), &db.db).await;
    fake.wait_gateway(|s| s.readies >= 1, WAIT).await;
    single.stop().await;
    assert_eq!(fake.identified_shards(), vec![json!([0, 1])]);

    // The total alone: this process runs all of them.
    let all = replica(
        &config(&fake, blobs.path(), &[("REDEEMDESK_DISCORD__SHARD_COUNT", "2")]),
        &db.db,
    )
    .await;
    // serenity starts shards 5 s apart, as Discord asks.
    fake.wait_gateway(|s| s.readies >= 3, WAIT).await;
    all.stop().await;
    assert_eq!(
        sorted(fake.identified_shards()[1..].to_vec()),
        vec![json!([0, 2]), json!([1, 2])]
    );
}

#[tokio::test]
async fn a_range_outside_the_total_is_refused_when_the_configuration_is_read() {
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    for (pairs, says) in [
        (
            env(&[
                ("REDEEMDESK_DISCORD__SHARD_COUNT", "2"),
                ("REDEEMDESK_DISCORD__SHARDS", "1-2"),
            ]),
            "discord.shards = \"1-2\" is outside 0-1",
        ),
        (
            env(&[("REDEEMDESK_DISCORD__SHARDS", "0-1")]),
            "needs discord.shard_count",
        ),
    ] {
        let err = Config::load_from(None, pairs).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }

    // `serve` stops before it connects anywhere, with that one line.
    let fake = FakeDiscord::start().await;
    let db = support::TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let out = support::redeemdesk(&db.url, dir.path())
        .env("DISCORD_TOKEN", TOKEN)
        .env("REDEEMDESK_DISCORD__API_URL", fake.api_url())
        .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
        .env("REDEEMDESK_DISCORD__SHARD_COUNT", "4")
        .env("REDEEMDESK_DISCORD__SHARDS", "3-4")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("discord.shards = \"3-4\" is outside 0-3 (discord.shard_count = 4)"),
        "{stderr}"
    );
    assert!(fake.calls().is_empty(), "nothing reached Discord");
}

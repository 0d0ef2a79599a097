//! Subjects, wildcards, queue groups.

use std::time::Duration;

use faststream_kv::CORRELATION_ID;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;
use futures::StreamExt;

use super::run;
use crate::support::{Env, Log, eventually};

#[test]
fn wildcards_deliver_like_nats() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.connect().await?;
        let mut star = broker.subscribe("a.*.c").await?;
        let mut tail = broker.subscribe("a.>").await?;
        let mut exact = broker.subscribe("a.b.c").await?;
        broker.flush().await?;
        for subject in ["a.b.c", "a.x.c", "a.b", "a.b.c.d", "b.b.c"] {
            broker.publish(subject, subject.to_owned()).await?;
        }
        broker.flush().await?;
        let collect = async |subscription: &mut faststream_kv::broker::Subscription,
                             count: usize| {
            let mut subjects = Vec::new();
            for _ in 0..count {
                let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
                    .await
                    .ok()
                    .flatten()
                    .expect("message");
                subjects.push(message.subject().to_owned());
            }
            subjects
        };
        assert_eq!(collect(&mut star, 2).await, ["a.b.c", "a.x.c"]);
        assert_eq!(
            collect(&mut tail, 4).await,
            ["a.b.c", "a.x.c", "a.b", "a.b.c.d"]
        );
        assert_eq!(collect(&mut exact, 1).await, ["a.b.c"]);
        // Nothing more arrives on the exact subscription.
        assert!(
            tokio::time::timeout(Duration::from_millis(100), exact.next())
                .await
                .is_err()
        );
        broker.close().await
    })
}

/// Every publish carries a FastStream `correlation_id`: a new UUID per message (the
/// same for every subscriber of that message), or the one the publisher set.
#[test]
fn publishes_carry_a_correlation_id() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.connect().await?;
        let mut first = broker.subscribe("ids.*").await?;
        let mut second = broker.subscribe("ids.>").await?;
        broker.flush().await?;
        broker.publish("ids.a", "1").await?;
        broker.publish("ids.b", "2").await?;
        broker
            .publish_message("ids.c", Reply::new("3").header("x-tenant", "acme"))
            .await?;
        broker
            .publish_message("ids.d", Reply::new("4").header(CORRELATION_ID, "mine"))
            .await?;
        let mut ids = Vec::new();
        for subscription in [&mut first, &mut second] {
            let mut seen = Vec::new();
            for _ in 0..4 {
                let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
                    .await
                    .ok()
                    .flatten()
                    .expect("message");
                let id = message
                    .correlation_id()
                    .expect("a correlation id")
                    .to_owned();
                if message.subject() == "ids.c" {
                    assert_eq!(message.header("x-tenant"), Some("acme"));
                }
                seen.push(id);
            }
            ids.push(seen);
        }
        assert_eq!(ids[0], ids[1], "each subscriber sees the message's one id");
        let generated = &ids[0][..3];
        assert!(
            generated.iter().all(|id| id.len() == 36),
            "UUIDs: {generated:?}"
        );
        assert!(generated[0] != generated[1] && generated[1] != generated[2]);
        assert_eq!(ids[0][3], "mine");
        broker.close().await
    })
}

struct GroupA(Log);
struct GroupB(Log);
struct Everyone(Log);

async fn member_a(Ctx(log): Ctx<GroupA>, body: String) {
    log.0.push(body);
}

async fn member_b(Ctx(log): Ctx<GroupB>, body: String) {
    log.0.push(body);
}

async fn observer(Ctx(log): Ctx<Everyone>, body: String) {
    log.0.push(body);
}

#[test]
fn queue_group_delivers_each_message_once() -> Result<(), Error> {
    run(async |env: Env| {
        let (a, b, all) = (Log::default(), Log::default(), Log::default());
        let app = App::new(env.broker())
            .subscriber(Subscriber::new("jobs.*", member_a).queue("workers"))
            .subscriber(Subscriber::new("jobs.*", member_b).queue("workers"))
            .subscriber(Subscriber::new("jobs.>", observer));
        app.context().insert(GroupA(a.clone()));
        app.context().insert(GroupB(b.clone()));
        app.context().insert(Everyone(all.clone()));
        let app = TestApp::start(app).await?;
        for n in 0..50 {
            app.publish(&format!("jobs.{}", n % 3), n.to_string())
                .await?;
        }
        eventually("50 messages in the group and at the observer", || {
            a.len() + b.len() == 50 && all.len() == 50
        })
        .await;
        let mut group: Vec<u32> = a
            .entries()
            .into_iter()
            .chain(b.entries())
            .map(|n| n.parse().expect("number"))
            .collect();
        group.sort_unstable();
        assert_eq!(
            group,
            (0..50).collect::<Vec<_>>(),
            "each message exactly once"
        );
        app.stop().await
    })
}

#[test]
fn invalid_subjects_are_rejected_before_the_wire() -> Result<(), Error> {
    run(async |env: Env| {
        let broker = env.broker();
        broker.connect().await?;
        for subject in ["", "a.*", "a.>", ">", "a..b", ".a", "a b"] {
            assert!(
                matches!(
                    broker.publish(subject, "x").await,
                    Err(Error::InvalidSubject { .. })
                ),
                "publish {subject:?}"
            );
            assert!(
                matches!(
                    broker.request(subject, "x").await,
                    Err(Error::InvalidSubject { .. })
                ),
                "request {subject:?}"
            );
        }
        for subject in ["", "a.>.b", "a..b"] {
            assert!(
                matches!(
                    broker.subscribe(subject).await,
                    Err(Error::InvalidSubject { .. })
                ),
                "subscribe {subject:?}"
            );
        }
        assert!(matches!(
            broker.queue_subscribe("a", "bad group").await,
            Err(Error::InvalidQueueGroup { .. })
        ));
        broker.close().await
    })
}

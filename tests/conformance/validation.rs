//! Startup validation: the app refuses to start, naming handler, argument and type.

use faststream_kv::error::StartupProblemKind;
use faststream_kv::prelude::*;
use faststream_kv::subscriber::Subscriber;
use faststream_kv::testing::TestApp;

use super::run;
use crate::support::Env;

struct Database;
struct Cache;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Key {
    region: String,
    id: u32,
}

#[subscriber("orders.{region}")]
async fn needs_things(Path(_key): Path<Key>, Ctx(_db): Ctx<Database>, Ctx(_cache): Ctx<Cache>) {}

async fn needs_cache(Ctx(_cache): Ctx<Cache>) {}

#[test]
fn startup_lists_every_missing_requirement() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker())
            .on_startup(async |cx: Lifecycle| {
                cx.context().insert(Cache);
                Ok::<_, Error>(())
            })
            .subscriber(needs_things)
            .subscriber(Subscriber::new("cache.get", needs_cache));
        let Err(Error::Startup { problems, .. }) = TestApp::start(app).await else {
            panic!("startup must fail");
        };
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert_eq!(
            (problems[0].handler.as_str(), problems[0].pattern.as_str()),
            ("needs_things", "orders.{region}")
        );
        assert!(
            matches!(&problems[0].kind, StartupProblemKind::PathFieldsWithoutCapture { fields, .. }
            if fields == &["id"]),
            "{:?}",
            problems[0]
        );
        assert_eq!(
            problems[0].to_string(),
            "subscriber `needs_things` (orders.{region}), argument `Path(_key): Path<Key>`: \
         `Path` field(s) id have no `{capture}` of that name in the pattern"
        );
        assert_eq!(
            problems[1].argument.as_deref(),
            Some("argument `Ctx(_db): Ctx<Database>`")
        );
        assert!(
            matches!(problems[1].kind, StartupProblemKind::MissingContext { type_name, .. }
            if type_name.ends_with("validation::Database")),
            "{:?}",
            problems[1]
        );
        Ok(())
    })
}

#[test]
fn invalid_pattern_fails_startup() -> Result<(), Error> {
    run(async |env: Env| {
        let app = App::new(env.broker()).subscriber(Subscriber::new("orders..{x", needs_cache));
        app.context().insert(Cache);
        match TestApp::start(app).await {
            Err(Error::Startup { problems, .. }) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].handler, "needs_cache");
                assert!(
                    matches!(problems[0].kind, StartupProblemKind::InvalidPattern { .. }),
                    "{:?}",
                    problems[0]
                );
                assert!(
                    problems[0]
                        .to_string()
                        .contains("invalid subscriber pattern"),
                    "{}",
                    problems[0]
                );
            }
            Err(other) => panic!("expected a startup error, got {other}"),
            Ok(_) => panic!("startup must fail"),
        }
        Ok(())
    })
}

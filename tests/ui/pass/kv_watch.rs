use faststream_kv::prelude::*;

#[derive(Deserialize)]
struct Flag {
    on: bool,
}

struct Audit;

#[subscriber(
    kv_watch = "config",
    keys = "feature.{name}",
    ignore_deletes,
    max_workers = 2
)]
async fn on_flag(Json(flag): Json<Flag>, Path(name): Path<String>, Ctx(_audit): Ctx<Audit>) {
    let _ = (flag.on, name);
}

#[subscriber(kv_watch = "config", include_history, meta_only)]
async fn every_change(entry: Entry) {
    let _ = entry.revision();
}

#[subscriber(kv_watch = "config", keys = "limit.*", updates_only, name = "limits")]
async fn limits(entry: Entry, Subject(key): Subject) -> Result<(), Error> {
    let _ = (entry, key);
    Ok(())
}

pub(crate) fn main() {
    let _app = App::new(Broker::memory())
        .subscriber(on_flag)
        .subscriber(every_change)
        .subscriber(limits);
}

use faststream_kv::extract::PathRejection;
use faststream_kv::prelude::*;

// A capture taken by an optional `Path` (or one whose rejection the handler reads) is
// used: the macro accepts both.
#[subscriber("orders.{id}")]
async fn maybe_id(id: Option<Path<u64>>) -> String {
    id.map_or_else(|| "no id".to_owned(), |Path(id)| id.to_string())
}

#[subscriber("users.{name}")]
async fn checked(name: Result<Path<String>, PathRejection>) -> String {
    match name {
        Ok(Path(name)) => name,
        Err(rejection) => rejection.to_string(),
    }
}

pub(crate) fn main() {
    let _app = App::new(Broker::memory())
        .subscriber(maybe_id)
        .subscriber(checked);
    // The handler's body stays callable, e.g. from a unit test.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let reply = runtime.block_on(maybe_id::call(Some(Path(7))));
    assert_eq!(reply, "7");
}

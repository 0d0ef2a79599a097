use std::rc::Rc;

use faststream_kv::prelude::*;

#[subscriber("count")]
async fn count(body: String) {
    let shared = Rc::new(body);
    tokio::task::yield_now().await;
    drop(shared);
}

fn main() {}

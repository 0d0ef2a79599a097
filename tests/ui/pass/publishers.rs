use faststream_kv::prelude::*;
use faststream_kv::subscriber::IntoSubscriber;

/// Publishers below the subscriber, and the short form.
#[subscriber("orders.{region}", publish = "orders.seen")]
#[publisher("orders.billed")]
#[publisher("billing.done", expected_stream = "BILLING")]
#[publisher("archive.orders", stream)]
async fn bill(Path(region): Path<String>) -> String {
    region
}

/// A publisher above the subscriber moves below it.
#[publisher("refunds.done")]
#[subscriber("refunds.requested")]
async fn refund(body: Bytes) -> Option<Bytes> {
    (!body.is_empty()).then_some(body)
}

pub(crate) fn main() {
    let subjects = |subscriber: faststream_kv::subscriber::AnySubscriber| {
        let publishers = subscriber.publishers();
        let subjects: Vec<(String, bool, Option<String>)> = publishers
            .iter()
            .map(|p| {
                (
                    p.destination().to_owned(),
                    p.is_stream(),
                    p.stream_name().map(str::to_owned),
                )
            })
            .collect();
        subjects
    };
    assert_eq!(
        subjects(bill.into_subscriber()),
        [
            ("orders.seen".to_owned(), false, None),
            ("orders.billed".to_owned(), false, None),
            ("billing.done".to_owned(), true, Some("BILLING".to_owned())),
            ("archive.orders".to_owned(), true, None),
        ]
    );
    assert_eq!(
        subjects(refund.into_subscriber()),
        [("refunds.done".to_owned(), false, None)]
    );
    let _app = App::new(Broker::memory())
        .subscriber(bill)
        .subscriber(refund);
}

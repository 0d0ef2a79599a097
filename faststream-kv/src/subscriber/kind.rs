//! The kinds of subscriber, each with the options only it has.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::jetstream::{AckPolicy, ConsumerConfig};
use crate::kv::WatchOptions;
use crate::pending::PendingLimits;
use crate::runtime::Delivery;

/// A subscriber on subjects: it may join a queue group, and holds up to its pending
/// limits while its handler is busy.
#[derive(Debug, Clone, Default)]
pub struct OnSubject {
    pub(super) queue: Option<String>,
    pub(super) limits: PendingLimits,
}

/// A subscriber on the changes of a Key-Value bucket: it has watch options.
#[derive(Debug, Clone)]
pub struct OnKvWatch {
    pub(super) bucket: String,
    pub(super) options: WatchOptions,
}

impl OnKvWatch {
    pub(super) fn new(bucket: String) -> Self {
        Self {
            bucket,
            options: WatchOptions::default(),
        }
    }
}

/// A subscriber on a stream, through a pull or a push consumer: it has the consumer's
/// configuration, an ack policy, how messages come, whether it declares its stream
/// and keeps long handlers' messages alive.
#[derive(Debug, Clone)]
pub struct OnStream {
    pub(super) stream: String,
    pub(super) consumer: ConsumerConfig,
    /// The consumer options set one by one, kept to apply again over a configuration
    /// given whole later, so that the builder's calls compose in any order.
    pub(super) tuning: Tuning,
    pub(super) ack: AckPolicy,
    pub(super) delivery: Delivery,
    /// The most messages one handler call gets, for a batch handler.
    pub(super) batches: Option<usize>,
    pub(super) declare: bool,
    pub(super) keep_alive: bool,
}

/// Messages a stream subscriber asks for at most at once, and holds at most beyond its
/// workers (as nats.go's `Consume` buffers by default); fewer when its handlers are
/// slow (see [`Subscriber::pull`](super::Subscriber::pull)).
pub const DEFAULT_FETCH_BATCH: usize = 500;

/// How long one pull request waits on the server before it is asked for again.
pub const DEFAULT_FETCH_WAIT: Duration = Duration::from_secs(5);

impl OnStream {
    pub(super) fn new(stream: String) -> Self {
        Self {
            stream,
            consumer: ConsumerConfig::ephemeral(),
            tuning: Tuning::default(),
            ack: AckPolicy::default(),
            delivery: Delivery::Pull {
                batch: DEFAULT_FETCH_BATCH,
                max_wait: DEFAULT_FETCH_WAIT,
            },
            batches: None,
            declare: true,
            keep_alive: false,
        }
    }
}

/// One consumer option set by a builder call.
type Change = Arc<dyn Fn(&mut ConsumerConfig) + Send + Sync>;

/// The consumer options set one by one, in the order they were set.
#[derive(Clone, Default)]
pub(super) struct Tuning(Vec<Change>);

impl Tuning {
    /// Applies `change` to `config` and keeps it.
    pub(super) fn set(
        &mut self,
        config: &mut ConsumerConfig,
        change: impl Fn(&mut ConsumerConfig) + Send + Sync + 'static,
    ) {
        change(config);
        self.0.push(Arc::new(change));
    }

    /// Applies every option kept to `config`.
    pub(super) fn apply(&self, config: &mut ConsumerConfig) {
        for change in &self.0 {
            change(config);
        }
    }
}

impl fmt::Debug for Tuning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} option(s) set", self.0.len())
    }
}

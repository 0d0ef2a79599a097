//! How a bucket is configured, and what its status reports.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{ConfigProblem, Error, Result};
use faststream_kv_subject::{Transform, check_subscribe_subject};

use crate::kv::names::{validate_bucket, validate_key_filter};
use crate::kv::{Placement, Republish, Source};
pub use crate::storage::Storage;

/// What keeps a bucket, as [`Status::backing_store`] says.
pub const BACKING_STORE: &str = "JetStream";

/// Most revisions a bucket keeps per key.
pub const MAX_HISTORY: u8 = 64;

/// Configuration of a Key-Value bucket, for
/// [`Broker::create_key_value`](crate::Broker::create_key_value) and
/// [`KeyValueBinding::declare`](crate::broker::KeyValueBinding::declare).
///
/// ```
/// use std::time::Duration;
/// use faststream_kv::kv::Config;
///
/// let config = Config {
///     history: 5,
///     max_age: Some(Duration::from_secs(3600)),
///     ..Config::new("sessions")
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The bucket's name (`[a-zA-Z0-9_-]+`). `declare` fills it in from `key_value(name)`.
    pub bucket: String,
    /// Free text shown by tools.
    pub description: String,
    /// Revisions kept per key, 1 to 64 (default 1: only the current one).
    pub history: u8,
    /// Revisions older than this are removed (`None`: kept until replaced; zero is
    /// refused, as are the other zero limits, since NATS reads 0 as "no limit").
    pub max_age: Option<Duration>,
    /// Total size the bucket may reach; writes beyond it fail with
    /// [`Error::BucketFull`] (`None`: unlimited).
    pub max_bytes: Option<u64>,
    /// Largest value accepted; larger ones fail with [`Error::ValueTooLarge`]
    /// (`None`: the server's payload limit).
    pub max_value_size: Option<u32>,
    /// File (default) or memory storage on the server.
    pub storage: Storage,
    /// Copies kept in a cluster (default 1).
    pub replicas: usize,
    /// Compress stored values (server >= 2.10).
    pub compression: bool,
    /// Allows per-key TTLs
    /// ([`KeyValue::create_with_ttl`](super::KeyValue::create_with_ttl),
    /// [`KeyValue::purge_with_ttl`](super::KeyValue::purge_with_ttl)); when a key expires
    /// the server leaves a purge marker, itself removed after this duration
    /// (server >= 2.11). `None`: per-key TTLs are refused.
    pub key_ttl_markers: Option<Duration>,
    /// Free-form labels kept with the bucket (server >= 2.10; keys starting with
    /// `_nats.` are the server's own and are not listed here).
    pub metadata: BTreeMap<String, String>,
    /// Each write also published on another subject.
    pub republish: Option<Republish>,
    /// Where a cluster keeps the bucket (not on the memory broker, which is one node).
    pub placement: Option<Placement>,
    /// The bucket is a read-only copy of another: reads (and watches) are answered from
    /// the copy, writes go to the origin and come back with the origin's revision.
    /// Not with `sources`.
    pub mirror: Option<Source>,
    /// Buckets (or streams) whose writes are copied into this bucket as they happen,
    /// next to its own writes (server >= 2.10 for keys and subject transforms).
    pub sources: Vec<Source>,
}

impl Config {
    /// The default configuration for bucket `bucket`.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            ..Self::default()
        }
    }

    /// The configuration checked before it goes to a server, with source buckets named
    /// as the server reports them (`KV_orders` becomes `orders`).
    pub(crate) fn checked(mut self) -> Result<Self> {
        self.validate()?;
        for source in self.mirror.iter_mut().chain(&mut self.sources) {
            if source.subject_transforms.is_empty() {
                source.name = source.bucket_name().to_owned();
            }
        }
        Ok(self)
    }

    fn validate(&self) -> Result<()> {
        validate_bucket(&self.bucket)?;
        if !(1..=MAX_HISTORY).contains(&self.history) {
            return Err(Error::InvalidConfig {
                problem: ConfigProblem::History {
                    history: self.history,
                    max: MAX_HISTORY,
                },
            });
        }
        let zero = [
            ("max_age", self.max_age.is_some_and(|age| age.is_zero())),
            ("max_bytes", self.max_bytes == Some(0)),
            ("max_value_size", self.max_value_size == Some(0)),
        ];
        if let Some((limit, _)) = zero.into_iter().find(|(_, zero)| *zero) {
            return Err(Error::InvalidConfig {
                problem: ConfigProblem::ZeroLimit { limit },
            });
        }
        if self.replicas == 0 {
            return Err(Error::InvalidConfig {
                problem: ConfigProblem::NoReplicas,
            });
        }
        if let Some(markers) = self.key_ttl_markers {
            super::ttl::whole_seconds(markers)?;
        }
        if self.mirror.is_some() && !self.sources.is_empty() {
            return Err(Error::InvalidConfig {
                problem: ConfigProblem::MirrorWithSources,
            });
        }
        for source in self.mirror.iter().chain(&self.sources) {
            validate_source(source)?;
            if source.subject_transforms.is_empty() && source.bucket_name() == self.bucket {
                return Err(Error::InvalidConfig {
                    problem: ConfigProblem::Source {
                        name: source.name.clone(),
                        problem: "a bucket cannot copy itself",
                    },
                });
            }
        }
        if let Some(republish) = &self.republish {
            validate_republish(republish)?;
        }
        Ok(())
    }
}

fn validate_source(source: &Source) -> Result<()> {
    let invalid = |problem| {
        Err(Error::InvalidConfig {
            problem: ConfigProblem::Source {
                name: source.name.clone(),
                problem,
            },
        })
    };
    let stream_name_ok = !source.name.is_empty()
        && !source
            .name
            .contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace());
    if !stream_name_ok {
        return invalid("not a stream or bucket name");
    }
    if source.subject_transforms.is_empty() && validate_bucket(source.bucket_name()).is_err() {
        return invalid("not a bucket name (a stream needs subject_transforms)");
    }
    if source.keys.is_some() && !source.subject_transforms.is_empty() {
        return invalid("keys and subject_transforms exclude each other");
    }
    if let Some(keys) = &source.keys
        && validate_key_filter(keys).is_err()
    {
        return invalid("keys is not a key filter");
    }
    if source.start_revision == Some(0) {
        return invalid("revisions start at 1");
    }
    let subjects_ok = source.subject_transforms.iter().all(|transform| {
        check_subscribe_subject(&transform.source).is_ok()
            && check_subscribe_subject(&transform.destination).is_ok()
    });
    if !subjects_ok {
        return invalid("a subject transform's source or destination is not a subject");
    }
    for transform in &source.subject_transforms {
        if let Err(problem) = Transform::new(&transform.source, &transform.destination) {
            return invalid(problem);
        }
    }
    Ok(())
}

fn validate_republish(republish: &Republish) -> Result<()> {
    let problem = if check_subscribe_subject(&republish.source).is_err() {
        "source is not a subject filter"
    } else if check_subscribe_subject(&republish.destination).is_err() {
        "destination is not a subject"
    } else if let Err(problem) = Transform::new(&republish.source, &republish.destination) {
        problem
    } else {
        return Ok(());
    };
    Err(Error::InvalidConfig {
        problem: ConfigProblem::Republish { problem },
    })
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            description: String::new(),
            history: 1,
            max_age: None,
            max_bytes: None,
            max_value_size: None,
            storage: Storage::File,
            replicas: 1,
            compression: false,
            key_ttl_markers: None,
            metadata: BTreeMap::new(),
            republish: None,
            placement: None,
            mirror: None,
            sources: Vec::new(),
        }
    }
}

/// A bucket's configuration and current size, from
/// [`KeyValue::status`](super::KeyValue::status) (asked of the server on every call) and
/// [`Broker::key_value_buckets`](crate::Broker::key_value_buckets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// What keeps the bucket: `"JetStream"` (nats.go's `BackingStore`), also for the
    /// memory broker, which models a JetStream stream.
    pub backing_store: &'static str,
    /// The configuration the bucket runs with.
    pub config: Config,
    /// Revisions stored (all keys, including history and markers).
    pub values: u64,
    /// Bytes stored.
    pub bytes: u64,
    /// The bucket's latest revision (0 when nothing was ever written).
    pub last_revision: u64,
}

//! Where a bucket's values come from when they are not written to it directly (ADR-8,
//! ADR-57): a mirror, a read-only copy of one other bucket, or sources, buckets (or
//! streams) whose writes are copied in.

/// A bucket (or stream) that a bucket mirrors ([`Config::mirror`](super::Config::mirror))
/// or copies from ([`Config::sources`](super::Config::sources)).
///
/// ```
/// use faststream_kv::kv::{Config, Source};
///
/// let replica = Config {
///     mirror: Some(Source::bucket("orders")),
///     ..Config::new("orders_replica")
/// };
/// let eu_orders = Config {
///     sources: vec![Source {
///         keys: Some("eu.>".to_owned()),
///         ..Source::bucket("orders")
///     }],
///     ..Config::new("eu_orders")
/// };
/// # let _ = (replica, eu_orders);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The source bucket's name (`orders`, or its stream's name `KV_orders`). With
    /// `subject_transforms`, the name of any stream, used as given.
    pub name: String,
    /// Only the keys matching this key filter (`None`: every key). Without
    /// `subject_transforms` only; those say themselves what they take.
    pub keys: Option<String>,
    /// The first revision copied (`None`: the source's first).
    pub start_revision: Option<u64>,
    /// The JetStream domain the source lives in (`None`: this one).
    pub domain: Option<String>,
    /// How the source's stream subjects become this bucket's (`$KV.<bucket>.<key>`),
    /// used as given; empty: a source bucket's keys are copied as they are.
    pub subject_transforms: Vec<SubjectTransform>,
}

impl Source {
    /// Every key of bucket `name`, from its first revision.
    pub fn bucket(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The source bucket's name: `name` without the `KV_` of its stream.
    pub(crate) fn bucket_name(&self) -> &str {
        self.name.strip_prefix("KV_").unwrap_or(&self.name)
    }

    /// How the source's subjects become `bucket`'s: its `subject_transforms`, or for a
    /// source bucket the one that stores its keys (those matching `keys`) under the
    /// same keys in `bucket`.
    pub(crate) fn transforms_into(&self, bucket: &str) -> Vec<SubjectTransform> {
        if !self.subject_transforms.is_empty() {
            return self.subject_transforms.clone();
        }
        let keys = self.keys.as_deref().unwrap_or(">");
        let mut wildcard = 0;
        let destination_keys: Vec<String> = keys
            .split('.')
            .map(|token| match token {
                "*" => {
                    wildcard += 1;
                    format!("{{{{wildcard({wildcard})}}}}")
                }
                other => other.to_owned(),
            })
            .collect();
        vec![SubjectTransform {
            source: format!("$KV.{}.{keys}", self.bucket_name()),
            destination: format!("$KV.{bucket}.{}", destination_keys.join(".")),
        }]
    }
}

/// A subject transform of a source: subjects matching `source` (wildcards allowed)
/// are stored as `destination`, whose `*`/`{{wildcard(n)}}` and `>` take the
/// matched tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectTransform {
    /// The subjects transformed, e.g. `events.processed.>`.
    pub source: String,
    /// What they become, e.g. `$KV.event_cache.>`.
    pub destination: String,
}

/// Every write to a bucket published again on another subject as it is stored, for
/// plain NATS subscribers (nats-server >= 2.8). The copy has the value (or only its
/// size, with `headers_only`) and the headers `Nats-Stream`, `Nats-Subject` (the
/// write's `$KV.<bucket>.<key>`), `Nats-Sequence` (its revision) and
/// `Nats-Last-Sequence`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Republish {
    /// The stream subjects republished: `>` for every write, or a filter on
    /// `$KV.<bucket>.<key>`.
    pub source: String,
    /// Where they are published; `>` takes the tokens matched by `source`'s `>`.
    pub destination: String,
    /// Only the headers, the value's size in `Nats-Msg-Size`.
    pub headers_only: bool,
}

/// Where a clustered server places a bucket's stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// The cluster (`None`: any).
    pub cluster: Option<String>,
    /// Tags the servers must have.
    pub tags: Vec<String>,
}

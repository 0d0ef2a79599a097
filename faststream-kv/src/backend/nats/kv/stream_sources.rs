//! A bucket's mirror, sources, republish and placement in its stream's configuration,
//! both ways, as nats.go writes them (ADR-8, ADR-57): source buckets by stream name
//! (`KV_<name>`), a mirror with `mirror_direct`, a source bucket's keys moved into this
//! bucket's subjects by a subject transform, a domain as the external API prefix
//! `$JS.<domain>.API`.

use async_nats::jetstream::stream::{self, External};

use crate::kv::{self, Placement, Republish, Source};

/// Sets `stream`'s mirror, sources, republish and placement from `config`.
pub(super) fn write(config: &kv::Config, stream: &mut stream::Config) {
    stream.republish = config
        .republish
        .as_ref()
        .map(|republish| stream::Republish {
            source: republish.source.clone(),
            destination: republish.destination.clone(),
            headers_only: republish.headers_only,
        });
    stream.placement = config
        .placement
        .as_ref()
        .map(|placement| stream::Placement {
            cluster: placement.cluster.clone(),
            tags: placement.tags.clone(),
        });
    if let Some(mirror) = &config.mirror {
        // A mirror keeps the origin's subjects and takes no writes of its own.
        stream.subjects = Vec::new();
        stream.mirror_direct = true;
        stream.mirror = Some(stream::Source {
            filter_subject: mirror
                .keys
                .as_ref()
                .map(|keys| format!("$KV.{}.{keys}", mirror.bucket_name())),
            subject_transforms: stream_transforms(&mirror.subject_transforms),
            ..base(mirror)
        });
    }
    if !config.sources.is_empty() {
        let sources = config.sources.iter().map(|source| stream::Source {
            subject_transforms: stream_transforms(&source.transforms_into(&config.bucket)),
            ..base(source)
        });
        stream.sources = Some(sources.collect());
    }
}

/// The mirror, sources, republish and placement that `stream` says.
pub(super) fn read(bucket: &str, stream: &stream::Config) -> Replication {
    Replication {
        republish: stream.republish.as_ref().map(|republish| Republish {
            source: republish.source.clone(),
            destination: republish.destination.clone(),
            headers_only: republish.headers_only,
        }),
        placement: stream
            .placement
            .as_ref()
            .filter(|placement| placement.cluster.is_some() || !placement.tags.is_empty())
            .map(|placement| Placement {
                cluster: placement.cluster.clone(),
                tags: placement.tags.clone(),
            }),
        mirror: stream.mirror.as_ref().map(|mirror| {
            let mut source = source_of(mirror);
            if let (Some(origin), Some(filter)) =
                (mirror.name.strip_prefix("KV_"), &mirror.filter_subject)
            {
                source.keys = filter
                    .strip_prefix(&format!("$KV.{origin}."))
                    .map(str::to_owned);
            }
            source
        }),
        sources: stream
            .sources
            .iter()
            .flatten()
            .map(|stream_source| {
                let mut source = source_of(stream_source);
                // Our transform of a bucket's keys, or one made elsewhere as given.
                if let [transform] = stream_source.subject_transforms.as_slice()
                    && let Some(origin) = stream_source.name.strip_prefix("KV_")
                    && let Some(keys) = transform.source.strip_prefix(&format!("$KV.{origin}."))
                {
                    let candidate = Source {
                        name: origin.to_owned(),
                        keys: (keys != ">").then(|| keys.to_owned()),
                        subject_transforms: Vec::new(),
                        ..source.clone()
                    };
                    if let [ours] = candidate.transforms_into(bucket).as_slice()
                        && ours.source == transform.source
                        && ours.destination == transform.destination
                    {
                        source = candidate;
                    }
                }
                source
            })
            .collect(),
    }
}

/// What [`read`] found.
pub(super) struct Replication {
    pub(super) republish: Option<Republish>,
    pub(super) placement: Option<Placement>,
    pub(super) mirror: Option<Source>,
    pub(super) sources: Vec<Source>,
}

/// The stream source of `source`: its stream's name, start and domain.
fn base(source: &Source) -> stream::Source {
    let name = if source.subject_transforms.is_empty() {
        format!("KV_{}", source.bucket_name())
    } else {
        source.name.clone()
    };
    stream::Source {
        name,
        start_sequence: source.start_revision,
        external: source.domain.as_ref().map(|domain| External {
            api_prefix: format!("$JS.{domain}.API"),
            delivery_prefix: None,
        }),
        ..stream::Source::default()
    }
}

fn stream_transforms(transforms: &[kv::SubjectTransform]) -> Vec<stream::SubjectTransform> {
    transforms
        .iter()
        .map(|transform| stream::SubjectTransform {
            source: transform.source.clone(),
            destination: transform.destination.clone(),
        })
        .collect()
}

/// A stream source as ours: a bucket by name when it is one, the domain from its API
/// prefix.
fn source_of(stream_source: &stream::Source) -> Source {
    let domain = stream_source.domain.clone().or_else(|| {
        let prefix = &stream_source.external.as_ref()?.api_prefix;
        let domain = prefix.strip_prefix("$JS.")?.strip_suffix(".API")?;
        Some(domain.to_owned())
    });
    let subject_transforms: Vec<kv::SubjectTransform> = stream_source
        .subject_transforms
        .iter()
        .map(|transform| kv::SubjectTransform {
            source: transform.source.clone(),
            destination: transform.destination.clone(),
        })
        .collect();
    let name = match stream_source.name.strip_prefix("KV_") {
        Some(bucket) if subject_transforms.is_empty() => bucket.to_owned(),
        _ => stream_source.name.clone(),
    };
    Source {
        name,
        keys: None,
        start_revision: stream_source.start_sequence,
        domain,
        subject_transforms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(config: &kv::Config) -> Replication {
        let mut stream = stream::Config::default();
        write(config, &mut stream);
        read(&config.bucket, &stream)
    }

    #[test]
    fn sources_read_back_as_written() {
        let config = kv::Config {
            sources: vec![
                Source::bucket("orders"),
                Source {
                    keys: Some("eu.*.new".to_owned()),
                    start_revision: Some(5),
                    domain: Some("hub".to_owned()),
                    ..Source::bucket("archive")
                },
                Source {
                    subject_transforms: vec![kv::SubjectTransform {
                        source: "events.>".to_owned(),
                        destination: "$KV.cache.>".to_owned(),
                    }],
                    ..Source::bucket("EVENTS")
                },
            ],
            ..kv::Config::new("cache")
        };
        let mut stream = stream::Config::default();
        write(&config, &mut stream);
        let written = stream.sources.clone().unwrap_or_default();
        assert_eq!(written[0].name, "KV_orders");
        assert_eq!(
            written[1].subject_transforms[0].source,
            "$KV.archive.eu.*.new"
        );
        assert_eq!(
            written[1].subject_transforms[0].destination,
            "$KV.cache.eu.{{wildcard(1)}}.new"
        );
        assert_eq!(
            written[1].external.as_ref().map(|e| e.api_prefix.as_str()),
            Some("$JS.hub.API")
        );
        assert_eq!(written[2].name, "EVENTS");
        assert_eq!(round_trip(&config).sources, config.sources);
    }

    #[test]
    fn a_mirror_has_no_subjects_and_reads_back() {
        let config = kv::Config {
            mirror: Some(Source {
                keys: Some("eu.>".to_owned()),
                ..Source::bucket("orders")
            }),
            republish: Some(Republish {
                source: ">".to_owned(),
                destination: "copies.>".to_owned(),
                headers_only: true,
            }),
            placement: Some(Placement {
                cluster: Some("east".to_owned()),
                tags: vec!["ssd".to_owned()],
            }),
            ..kv::Config::new("replica")
        };
        let mut stream = stream::Config {
            subjects: vec!["$KV.replica.>".to_owned()],
            ..stream::Config::default()
        };
        write(&config, &mut stream);
        assert!(stream.subjects.is_empty() && stream.mirror_direct);
        let read = round_trip(&config);
        assert_eq!(read.mirror, config.mirror);
        assert_eq!(read.republish, config.republish);
        assert_eq!(read.placement, config.placement);
    }
}

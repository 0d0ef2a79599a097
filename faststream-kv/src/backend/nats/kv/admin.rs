//! Bucket management on a NATS server: bind, create, delete, list.

use async_nats::jetstream::context::{KeyValueErrorKind, UpdateStreamErrorKind};
use async_nats::jetstream::kv::Store as NatsStore;
use async_nats::jetstream::stream::DiscardPolicy;
use async_nats::jetstream::{self, ErrorCode};
use futures::future::ready;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use super::NatsBucket;
use super::convert::status_from_info;
use super::stream_config::stream_config;
use crate::backend::nats::error::{is_stream_not_found, jetstream_code, nats_error};
use crate::backend::nats::jetstream::JetStream;
use crate::backend_kind::BackendKind;
use crate::error::{Error, NatsOperation, Result};
use crate::kv;

/// Binds `bucket`, whose calls then end within the bound of `jetstream`.
pub(crate) async fn bind(jetstream: &JetStream, bucket: &str) -> Result<NatsBucket> {
    match jetstream.context().get_key_value(bucket).await {
        Ok(store) => Ok(NatsBucket::new(
            store_of(jetstream, bucket, store.stream),
            jetstream,
        )),
        Err(error) if is_stream_not_found(&error) => Err(Error::BucketNotFound {
            bucket: bucket.to_owned(),
        }),
        // The name was validated: the stream exists, but keeps no message per subject.
        Err(error) if error.kind() == KeyValueErrorKind::InvalidStoreName => {
            Err(Error::NotABucket {
                bucket: bucket.to_owned(),
            })
        }
        Err(error) => Err(nats_error(NatsOperation::KvBind, error)),
    }
}

/// Creates a bucket, whose calls then end within the bound of `jetstream`. The stream
/// is configured here rather than by async-nats, for room in its message-size limit
/// (see [`stream_config`](super::stream_config)).
pub(crate) async fn create(jetstream: &JetStream, config: &kv::Config) -> Result<NatsBucket> {
    let context = jetstream.context();
    if config.key_ttl_markers.is_some() {
        let account = context
            .query_account()
            .await
            .map_err(|error| nats_error(NatsOperation::KvCreate, error))?;
        // Per-message TTLs came with JetStream API level 1 (nats-server 2.11); an older
        // server would take the stream and ignore the TTLs.
        if account.requests.level < 1 {
            return Err(Error::Unsupported {
                backend: BackendKind::Nats,
                what: "per-key TTLs (`key_ttl_markers` needs nats-server >= 2.11)".to_owned(),
            });
        }
    }
    let stream = match context.create_stream(stream_config(config)).await {
        Ok(stream) => stream,
        Err(error) if jetstream_code(&error) == Some(ErrorCode::STREAM_NAME_EXIST) => {
            return existing(jetstream, config).await;
        }
        Err(error) => return Err(nats_error(NatsOperation::KvCreate, error)),
    };
    Ok(NatsBucket::new(
        store_of(jetstream, &config.bucket, stream),
        jetstream,
    ))
}

/// Bucket `bucket` on its stream, as nats.go maps one. Reached through another domain's
/// or account's API, it is written to through that API's prefix. A mirror holds its
/// origin's subjects, so it is read with the origin's prefix (nats.go reads a mirror in
/// the same domain with its own, and finds nothing), and written to through the origin:
/// directly, or through the origin domain's API prefix.
fn store_of(jetstream: &JetStream, bucket: &str, stream: jetstream::stream::Stream) -> NatsStore {
    let mut use_jetstream_prefix = jetstream.write_prefix().is_some();
    let (prefix, put_prefix) = match &stream.cached_info().config.mirror {
        Some(mirror) => {
            let origin = mirror.name.strip_prefix("KV_").unwrap_or(&mirror.name);
            let prefix = format!("$KV.{origin}.");
            let put_prefix = match &mirror.external {
                Some(external) if !external.api_prefix.is_empty() => {
                    use_jetstream_prefix = false;
                    format!("{}.{prefix}", external.api_prefix)
                }
                _ => prefix.clone(),
            };
            (prefix, Some(put_prefix))
        }
        None => (format!("$KV.{bucket}."), None),
    };
    NatsStore {
        name: bucket.to_owned(),
        stream_name: stream.cached_info().config.name.clone(),
        prefix,
        put_prefix,
        use_jetstream_prefix,
        stream,
    }
}

/// A create that found a stream of the bucket's name with another stream
/// configuration: the bucket, if its configuration is the one asked for (made by
/// another client, or by an older server or client whose buckets ADR-8 repairs: discard
/// old instead of new, no direct get); otherwise [`Error::BucketExists`].
async fn existing(jetstream: &JetStream, config: &kv::Config) -> Result<NatsBucket> {
    let context = jetstream.context();
    let exists = || Error::BucketExists {
        bucket: config.bucket.clone(),
    };
    let mut stream = context
        .get_stream(format!("KV_{}", config.bucket))
        .await
        .map_err(|_| exists())?;
    let info = stream.info().await.map_err(|_| exists())?;
    if status_from_info(&config.bucket, info).config != *config {
        return Err(exists());
    }
    let stream_config = &info.config;
    if stream_config.discard != DiscardPolicy::New || !stream_config.allow_direct {
        let repaired = jetstream::stream::Config {
            discard: DiscardPolicy::New,
            allow_direct: true,
            ..stream_config.clone()
        };
        context
            .update_stream(repaired)
            .await
            .map_err(|error| nats_error(NatsOperation::KvUpdate, error))?;
    }
    bind(jetstream, &config.bucket).await
}

/// Changes a bucket's configuration (its data stays).
pub(crate) async fn update(jetstream: &JetStream, config: &kv::Config) -> Result<NatsBucket> {
    match jetstream
        .context()
        .update_stream(stream_config(config))
        .await
    {
        Ok(_) => bind(jetstream, &config.bucket).await,
        Err(error) if error.kind() == UpdateStreamErrorKind::NotFound => {
            Err(Error::BucketNotFound {
                bucket: config.bucket.clone(),
            })
        }
        Err(error) => Err(nats_error(NatsOperation::KvUpdate, error)),
    }
}

pub(crate) async fn delete(jetstream: &JetStream, bucket: &str) -> Result<()> {
    match jetstream.context().delete_key_value(bucket).await {
        Ok(_) => Ok(()),
        Err(error) if is_stream_not_found(&error) => Err(Error::BucketNotFound {
            bucket: bucket.to_owned(),
        }),
        Err(error) => Err(nats_error(NatsOperation::KvDelete, error)),
    }
}

/// The status of every stream that is a Key-Value bucket (`KV_<name>`, keeping at
/// least one message per subject), page by page; each page's request ends within the
/// bound of `jetstream`.
pub(crate) fn statuses(jetstream: &JetStream) -> BoxStream<'static, Result<kv::Status>> {
    jetstream
        .context()
        .streams()
        .map_err(|error| nats_error(NatsOperation::KvList, error))
        .try_filter_map(|info| {
            let bucket = info
                .config
                .name
                .strip_prefix("KV_")
                .filter(|_| info.config.max_messages_per_subject >= 1);
            ready(Ok(bucket.map(|bucket| status_from_info(bucket, &info))))
        })
        .boxed()
}

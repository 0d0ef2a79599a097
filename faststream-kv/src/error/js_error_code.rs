//! JetStream's error codes: the `err_code` of the server's API errors, as nats-server's
//! `server/errors.json` lists them (generated from it; the descriptions are the server's,
//! `{...}` filled in by it).

use std::fmt;

/// A JetStream error code, the server's reason for a refusal (carried by
/// [`Error::JetStream`](super::Error::JetStream)); the memory broker refuses with the
/// same code where it makes the same check.
///
/// ```
/// use faststream_kv::error::JsErrorCode;
///
/// assert_eq!(JsErrorCode::CONSUMER_OVERLAPPING_SUBJECT_FILTERS, JsErrorCode(10138));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JsErrorCode(pub u32);

impl fmt::Display for JsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl JsErrorCode {
    /// resource limits exceeded for account (status 400).
    pub const ACCOUNT_RESOURCES_EXCEEDED: Self = Self(10002);
    /// bad request (status 400).
    pub const BAD_REQUEST: Self = Self(10003);
    /// incomplete results (status 503).
    pub const CLUSTER_INCOMPLETE: Self = Self(10004);
    /// `{err}` (status 400).
    pub const CLUSTER_NO_PEERS: Self = Self(10005);
    /// JetStream not in clustered mode (status 500).
    pub const CLUSTER_NOT_ACTIVE: Self = Self(10006);
    /// JetStream cluster not assigned to this server (status 500).
    pub const CLUSTER_NOT_ASSIGNED: Self = Self(10007);
    /// JetStream system temporarily unavailable (status 503).
    pub const CLUSTER_NOT_AVAIL: Self = Self(10008);
    /// JetStream cluster can not handle request (status 500).
    pub const CLUSTER_NOT_LEADER: Self = Self(10009);
    /// JetStream clustering support required (status 503).
    pub const CLUSTER_REQUIRED: Self = Self(10010);
    /// tags placement not supported for operation (status 400).
    pub const CLUSTER_TAGS: Self = Self(10011);
    /// `{err}` (status 500).
    pub const CONSUMER_CREATE: Self = Self(10012);
    /// consumer name already in use (status 400).
    pub const CONSUMER_NAME_EXIST: Self = Self(10013);
    /// consumer not found (status 404).
    pub const CONSUMER_NOT_FOUND: Self = Self(10014);
    /// deliver subject not valid (status 400).
    pub const SNAPSHOT_DELIVER_SUBJECT_INVALID: Self = Self(10015);
    /// consumer expected to be durable but no durable name set in subject (status 400).
    pub const CONSUMER_DURABLE_NAME_NOT_IN_SUBJECT: Self = Self(10016);
    /// consumer name in subject does not match durable name in request (status 400).
    pub const CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT: Self = Self(10017);
    /// consumer expected to be durable but a durable name was not set (status 400).
    pub const CONSUMER_DURABLE_NAME_NOT_SET: Self = Self(10018);
    /// consumer expected to be ephemeral but detected a durable name set in subject (status 400).
    pub const CONSUMER_EPHEMERAL_WITH_DURABLE_IN_SUBJECT: Self = Self(10019);
    /// consumer expected to be ephemeral but a durable name was set in request (status 400).
    pub const CONSUMER_EPHEMERAL_WITH_DURABLE_NAME: Self = Self(10020);
    /// stream external api prefix `{prefix}` must not overlap with `{subject}` (status 400).
    pub const STREAM_EXTERNAL_API_OVERLAP: Self = Self(10021);
    /// stream external delivery prefix `{prefix}` overlaps with stream subject `{subject}` (status 400).
    pub const STREAM_EXTERNAL_DEL_PREFIX_OVERLAPS: Self = Self(10022);
    /// insufficient resources (status 503).
    pub const INSUFFICIENT_RESOURCES: Self = Self(10023);
    /// stream external delivery prefix `{prefix}` must not contain wildcards (status 400).
    pub const STREAM_INVALID_EXTERNAL_DELIVERY_SUBJ: Self = Self(10024);
    /// invalid JSON: `{err}` (status 400).
    pub const INVALID_JSON: Self = Self(10025);
    /// maximum consumers limit reached (status 400).
    pub const MAXIMUM_CONSUMERS_LIMIT: Self = Self(10026);
    /// maximum number of streams reached (status 400).
    pub const MAXIMUM_STREAMS_LIMIT: Self = Self(10027);
    /// insufficient memory resources available (status 500).
    pub const MEMORY_RESOURCES_EXCEEDED: Self = Self(10028);
    /// `{err}` (status 500).
    pub const MIRROR_CONSUMER_SETUP_FAILED: Self = Self(10029);
    /// stream mirror must have max message size >= source (status 400).
    pub const MIRROR_MAX_MESSAGE_SIZE_TOO_BIG: Self = Self(10030);
    /// stream mirrors can not also contain other sources (status 400).
    pub const MIRROR_WITH_SOURCES: Self = Self(10031);
    /// stream mirrors can not have both start seq and start time configured (status 400).
    pub const MIRROR_WITH_START_SEQ_AND_TIME: Self = Self(10032);
    /// stream mirrors can not contain filtered subjects (status 400).
    pub const MIRROR_WITH_SUBJECT_FILTERS: Self = Self(10033);
    /// stream mirrors can not contain subjects (status 400).
    pub const MIRROR_WITH_SUBJECTS: Self = Self(10034);
    /// account not found (status 503).
    pub const NO_ACCOUNT: Self = Self(10035);
    /// not currently supported in clustered mode (status 503).
    pub const CLUSTER_UN_SUPPORT_FEATURE: Self = Self(10036);
    /// no message found (status 404).
    pub const NO_MESSAGE_FOUND: Self = Self(10037);
    /// expected an empty request payload (status 400).
    pub const NOT_EMPTY_REQUEST: Self = Self(10038);
    /// JetStream not enabled for account (status 503).
    pub const NOT_ENABLED_FOR_ACCOUNT: Self = Self(10039);
    /// peer not a member (status 400).
    pub const CLUSTER_PEER_NOT_MEMBER: Self = Self(10040);
    /// `{err}` (status 500).
    pub const RAFT_GENERAL: Self = Self(10041);
    /// JetStream unable to subscribe to restore snapshot `{subject}`: `{err}` (status 500).
    pub const RESTORE_SUBSCRIBE_FAILED: Self = Self(10042);
    /// sequence `{seq}` not found (status 400).
    pub const SEQUENCE_NOT_FOUND: Self = Self(10043);
    /// server is not a member of the cluster (status 400).
    pub const CLUSTER_SERVER_NOT_MEMBER: Self = Self(10044);
    /// `{err}` (status 500).
    pub const SOURCE_CONSUMER_SETUP_FAILED: Self = Self(10045);
    /// stream source must have max message size >= target (status 400).
    pub const SOURCE_MAX_MESSAGE_SIZE_TOO_BIG: Self = Self(10046);
    /// insufficient storage resources available (status 500).
    pub const STORAGE_RESOURCES_EXCEEDED: Self = Self(10047);
    /// `{err}` (status 500).
    pub const STREAM_ASSIGNMENT: Self = Self(10048);
    /// `{err}` (status 500).
    pub const STREAM_CREATE: Self = Self(10049);
    /// `{err}` (status 500).
    pub const STREAM_DELETE: Self = Self(10050);
    /// `{err}` (status 500).
    pub const STREAM_GENERAL_ERROR: Self = Self(10051);
    /// `{err}` (status 500).
    pub const STREAM_INVALID_CONFIG: Self = Self(10052);
    /// `{err}` (status 500).
    pub const STREAM_LIMITS: Self = Self(10053);
    /// message size exceeds maximum allowed (status 400).
    pub const STREAM_MESSAGE_EXCEEDS_MAXIMUM: Self = Self(10054);
    /// stream mirror configuration can not be updated (status 400).
    pub const STREAM_MIRROR_NOT_UPDATABLE: Self = Self(10055);
    /// stream name in subject does not match request (status 400).
    pub const STREAM_MISMATCH: Self = Self(10056);
    /// `{err}` (status 500).
    pub const STREAM_MSG_DELETE_FAILED: Self = Self(10057);
    /// stream name already in use with a different configuration (status 400).
    pub const STREAM_NAME_EXIST: Self = Self(10058);
    /// stream not found (status 404).
    pub const STREAM_NOT_FOUND: Self = Self(10059);
    /// expected stream does not match (status 400).
    pub const STREAM_NOT_MATCH: Self = Self(10060);
    /// Replicas configuration can not be updated (status 400).
    pub const STREAM_REPLICAS_NOT_UPDATABLE: Self = Self(10061);
    /// restore failed: `{err}` (status 500).
    pub const STREAM_RESTORE: Self = Self(10062);
    /// expected stream sequence does not match (status 503).
    pub const STREAM_SEQUENCE_NOT_MATCH: Self = Self(10063);
    /// snapshot failed: `{err}` (status 500).
    pub const STREAM_SNAPSHOT: Self = Self(10064);
    /// subjects overlap with an existing stream (status 400).
    pub const STREAM_SUBJECT_OVERLAP: Self = Self(10065);
    /// `{err}` (status 500).
    pub const STREAM_TEMPLATE_CREATE: Self = Self(10066);
    /// `{err}` (status 500).
    pub const STREAM_TEMPLATE_DELETE: Self = Self(10067);
    /// template not found (status 404).
    pub const STREAM_TEMPLATE_NOT_FOUND: Self = Self(10068);
    /// `{err}` (status 500).
    pub const STREAM_UPDATE: Self = Self(10069);
    /// wrong last msg ID: `{id}` (status 400).
    pub const STREAM_WRONG_LAST_MSG_ID: Self = Self(10070);
    /// wrong last sequence: `{seq}` (status 400).
    pub const STREAM_WRONG_LAST_SEQUENCE: Self = Self(10071);
    /// JetStream unable to open temp storage for restore (status 500).
    pub const TEMP_STORAGE_FAILED: Self = Self(10072);
    /// template name in subject does not match request (status 400).
    pub const TEMPLATE_NAME_NOT_MATCH_SUBJECT: Self = Self(10073);
    /// replicas > 1 not supported in non-clustered mode (status 500).
    pub const STREAM_REPLICAS_NOT_SUPPORTED: Self = Self(10074);
    /// peer remap failed (status 503).
    pub const PEER_REMAP: Self = Self(10075);
    /// JetStream not enabled (status 503).
    pub const NOT_ENABLED: Self = Self(10076);
    /// `{err}` (status 503).
    pub const STREAM_STORE_FAILED: Self = Self(10077);
    /// consumer config required (status 400).
    pub const CONSUMER_CONFIG_REQUIRED: Self = Self(10078);
    /// consumer deliver subject has wildcards (status 400).
    pub const CONSUMER_DELIVER_TO_WILDCARDS: Self = Self(10079);
    /// consumer in push mode can not set max waiting (status 400).
    pub const CONSUMER_PUSH_MAX_WAITING: Self = Self(10080);
    /// consumer deliver subject forms a cycle (status 400).
    pub const CONSUMER_DELIVER_CYCLE: Self = Self(10081);
    /// consumer requires ack policy for max ack pending (status 400).
    pub const CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED: Self = Self(10082);
    /// consumer idle heartbeat needs to be >= 100ms (status 400).
    pub const CONSUMER_SMALL_HEARTBEAT: Self = Self(10083);
    /// consumer in pull mode requires explicit ack policy on workqueue stream (status 400).
    pub const CONSUMER_PULL_REQUIRES_ACK: Self = Self(10084);
    /// consumer in pull mode requires a durable name (status 400).
    pub const CONSUMER_PULL_NOT_DURABLE: Self = Self(10085);
    /// consumer in pull mode can not have rate limit set (status 400).
    pub const CONSUMER_PULL_WITH_RATE_LIMIT: Self = Self(10086);
    /// consumer max waiting needs to be positive (status 400).
    pub const CONSUMER_MAX_WAITING_NEGATIVE: Self = Self(10087);
    /// consumer idle heartbeat requires a push based consumer (status 400).
    pub const CONSUMER_HB_REQUIRES_PUSH: Self = Self(10088);
    /// consumer flow control requires a push based consumer (status 400).
    pub const CONSUMER_FC_REQUIRES_PUSH: Self = Self(10089);
    /// consumer direct requires a push based consumer (status 400).
    pub const CONSUMER_DIRECT_REQUIRES_PUSH: Self = Self(10090);
    /// consumer direct requires an ephemeral consumer (status 400).
    pub const CONSUMER_DIRECT_REQUIRES_EPHEMERAL: Self = Self(10091);
    /// consumer direct on a mapped consumer (status 400).
    pub const CONSUMER_ON_MAPPED: Self = Self(10092);
    /// consumer filter subject is not a valid subset of the interest subjects (status 400).
    pub const CONSUMER_FILTER_NOT_SUBSET: Self = Self(10093);
    /// `{err}` (status 400).
    pub const CONSUMER_INVALID_POLICY: Self = Self(10094);
    /// failed to parse consumer sampling configuration: `{err}` (status 400).
    pub const CONSUMER_INVALID_SAMPLING: Self = Self(10095);
    /// stream not valid (status 500).
    pub const STREAM_INVALID: Self = Self(10096);
    /// header size exceeds maximum allowed of 64k (status 400).
    pub const STREAM_HEADER_EXCEEDS_MAXIMUM: Self = Self(10097);
    /// workqueue stream requires explicit ack (status 400).
    pub const CONSUMER_WQ_REQUIRES_EXPLICIT_ACK: Self = Self(10098);
    /// multiple non-filtered consumers not allowed on workqueue stream (status 400).
    pub const CONSUMER_WQ_MULTIPLE_UNFILTERED: Self = Self(10099);
    /// filtered consumer not unique on workqueue stream (status 400).
    pub const CONSUMER_WQ_CONSUMER_NOT_UNIQUE: Self = Self(10100);
    /// consumer must be deliver all on workqueue stream (status 400).
    pub const CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL: Self = Self(10101);
    /// consumer name is too long, maximum allowed is `{max}` (status 400).
    pub const CONSUMER_NAME_TOO_LONG: Self = Self(10102);
    /// durable name can not contain '.', '*', '>' (status 400).
    pub const CONSUMER_BAD_DURABLE_NAME: Self = Self(10103);
    /// error creating store for consumer: `{err}` (status 500).
    pub const CONSUMER_STORE_FAILED: Self = Self(10104);
    /// consumer already exists and is still active (status 400).
    pub const CONSUMER_EXISTING_ACTIVE: Self = Self(10105);
    /// consumer replacement durable config not the same (status 400).
    pub const CONSUMER_REPLACEMENT_WITH_DIFFERENT_NAME: Self = Self(10106);
    /// consumer description is too long, maximum allowed is `{max}` (status 400).
    pub const CONSUMER_DESCRIPTION_TOO_LONG: Self = Self(10107);
    /// consumer with flow control also needs heartbeats (status 400).
    pub const CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS: Self = Self(10108);
    /// invalid operation on sealed stream (status 400).
    pub const STREAM_SEALED: Self = Self(10109);
    /// `{err}` (status 500).
    pub const STREAM_PURGE_FAILED: Self = Self(10110);
    /// `{err}` (status 500).
    pub const STREAM_ROLLUP_FAILED: Self = Self(10111);
    /// invalid push consumer deliver subject (status 400).
    pub const CONSUMER_INVALID_DELIVER_SUBJECT: Self = Self(10112);
    /// account requires a stream config to have max bytes set (status 400).
    pub const STREAM_MAX_BYTES_REQUIRED: Self = Self(10113);
    /// consumer max request batch needs to be > 0 (status 400).
    pub const CONSUMER_MAX_REQUEST_BATCH_NEGATIVE: Self = Self(10114);
    /// consumer max request expires needs to be >= 1ms (status 400).
    pub const CONSUMER_MAX_REQUEST_EXPIRES_TOO_SMALL: Self = Self(10115);
    /// max deliver is required to be > length of backoff values (status 400).
    pub const CONSUMER_MAX_DELIVER_BACKOFF: Self = Self(10116);
    /// subject details would exceed maximum allowed (status 500).
    pub const STREAM_INFO_MAX_SUBJECTS: Self = Self(10117);
    /// stream is offline (status 500).
    pub const STREAM_OFFLINE: Self = Self(10118);
    /// consumer is offline (status 500).
    pub const CONSUMER_OFFLINE: Self = Self(10119);
    /// no JetStream default or applicable tiered limit present (status 400).
    pub const NO_LIMITS: Self = Self(10120);
    /// consumer max ack pending exceeds system limit of `{limit}` (status 400).
    pub const CONSUMER_MAX_PENDING_ACK_EXCESS: Self = Self(10121);
    /// stream max bytes exceeds account limit max stream bytes (status 400).
    pub const STREAM_MAX_STREAM_BYTES_EXCEEDED: Self = Self(10122);
    /// can not move and scale a stream in a single update (status 400).
    pub const STREAM_MOVE_AND_SCALE: Self = Self(10123);
    /// stream move already in progress (status 400).
    pub const STREAM_MOVE_IN_PROGRESS: Self = Self(10124);
    /// consumer max request batch exceeds server limit of `{limit}` (status 400).
    pub const CONSUMER_MAX_REQUEST_BATCH_EXCEEDED: Self = Self(10125);
    /// consumer config replica count exceeds parent stream (status 400).
    pub const CONSUMER_REPLICAS_EXCEEDS_STREAM: Self = Self(10126);
    /// Consumer name can not contain path separators (status 400).
    pub const CONSUMER_NAME_CONTAINS_PATH_SEPARATORS: Self = Self(10127);
    /// Stream name can not contain path separators (status 400).
    pub const STREAM_NAME_CONTAINS_PATH_SEPARATORS: Self = Self(10128);
    /// stream reconfiguration not in progress (status 400).
    pub const STREAM_RECONFIGURE_NOT_IN_PROGRESS: Self = Self(10129);
    /// stream name already in use, cannot restore (status 400).
    pub const STREAM_NAME_EXIST_RESTORE_FAILED: Self = Self(10130);
    /// Consumer create request did not match filtered subject from create subject (status 400).
    pub const CONSUMER_CREATE_FILTER_SUBJECT_MISMATCH: Self = Self(10131);
    /// Consumer Durable and Name have to be equal if both are provided (status 400).
    pub const CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH: Self = Self(10132);
    /// replicas count cannot be negative (status 400).
    pub const REPLICAS_COUNT_CANNOT_BE_NEGATIVE: Self = Self(10133);
    /// consumer config replicas must match interest retention stream's replicas (status 400).
    pub const CONSUMER_REPLICAS_SHOULD_MATCH_STREAM: Self = Self(10134);
    /// consumer metadata exceeds maximum size of `{limit}` (status 400).
    pub const CONSUMER_METADATA_LENGTH: Self = Self(10135);
    /// consumer cannot have both FilterSubject and FilterSubjects specified (status 400).
    pub const CONSUMER_DUPLICATE_FILTER_SUBJECTS: Self = Self(10136);
    /// consumer with multiple subject filters cannot use subject based API (status 400).
    pub const CONSUMER_MULTIPLE_FILTERS_NOT_ALLOWED: Self = Self(10137);
    /// consumer subject filters cannot overlap (status 400).
    pub const CONSUMER_OVERLAPPING_SUBJECT_FILTERS: Self = Self(10138);
    /// consumer filter in FilterSubjects cannot be empty (status 400).
    pub const CONSUMER_EMPTY_FILTER: Self = Self(10139);
    /// duplicate source configuration detected (status 400).
    pub const SOURCE_DUPLICATE_DETECTED: Self = Self(10140);
    /// sourced stream name is invalid (status 400).
    pub const SOURCE_INVALID_STREAM_NAME: Self = Self(10141);
    /// mirrored stream name is invalid (status 400).
    pub const MIRROR_INVALID_STREAM_NAME: Self = Self(10142);
    /// stream mirrors can not have first sequence configured (status 400).
    pub const MIRROR_WITH_FIRST_SEQ: Self = Self(10143);
    /// source with multiple subject transforms cannot also have a single subject filter (status 400).
    pub const SOURCE_MULTIPLE_FILTERS_NOT_ALLOWED: Self = Self(10144);
    /// source transform source: `{err}` (status 400).
    pub const SOURCE_INVALID_SUBJECT_FILTER: Self = Self(10145);
    /// source transform: `{err}` (status 400).
    pub const SOURCE_INVALID_TRANSFORM_DESTINATION: Self = Self(10146);
    /// source filters can not overlap (status 400).
    pub const SOURCE_OVERLAPPING_SUBJECT_FILTERS: Self = Self(10147);
    /// consumer already exists (status 400).
    pub const CONSUMER_ALREADY_EXISTS: Self = Self(10148);
    /// consumer does not exist (status 400).
    pub const CONSUMER_DOES_NOT_EXIST: Self = Self(10149);
    /// mirror with multiple subject transforms cannot also have a single subject filter (status 400).
    pub const MIRROR_MULTIPLE_FILTERS_NOT_ALLOWED: Self = Self(10150);
    /// mirror transform source: `{err}` (status 400).
    pub const MIRROR_INVALID_SUBJECT_FILTER: Self = Self(10151);
    /// mirror subject filters can not overlap (status 400).
    pub const MIRROR_OVERLAPPING_SUBJECT_FILTERS: Self = Self(10152);
    /// consumer inactive threshold exceeds system limit of `{limit}` (status 400).
    pub const CONSUMER_INACTIVE_THRESHOLD_EXCESS: Self = Self(10153);
    /// mirror transform: `{err}` (status 400).
    pub const MIRROR_INVALID_TRANSFORM_DESTINATION: Self = Self(10154);
    /// stream transform source: `{err}` (status 400).
    pub const STREAM_TRANSFORM_INVALID_SOURCE: Self = Self(10155);
    /// stream transform: `{err}` (status 400).
    pub const STREAM_TRANSFORM_INVALID_DESTINATION: Self = Self(10156);
    /// pedantic mode: `{err}` (status 400).
    pub const PEDANTIC: Self = Self(10157);
    /// duplicate message id is in process (status 409).
    pub const STREAM_DUPLICATE_MESSAGE_CONFLICT: Self = Self(10158);
    /// Setting PriorityPolicy requires at least one PriorityGroup to be set (status 400).
    pub const CONSUMER_PRIORITY_POLICY_WITHOUT_GROUP: Self = Self(10159);
    /// Provided priority group does not exist for this consumer (status 400).
    pub const CONSUMER_INVALID_PRIORITY_GROUP: Self = Self(10160);
    /// Group name cannot be an empty string (status 400).
    pub const CONSUMER_EMPTY_GROUP_NAME: Self = Self(10161);
    /// Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters (status 400).
    pub const CONSUMER_INVALID_GROUP_NAME: Self = Self(10162);
    /// expected last sequence per subject temporarily unavailable (status 503).
    pub const STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_NOT_READY: Self = Self(10163);
    /// wrong last sequence (status 400).
    pub const STREAM_WRONG_LAST_SEQUENCE_CONSTANT: Self = Self(10164);
    /// invalid per-message TTL (status 400).
    pub const MESSAGE_TTL_INVALID: Self = Self(10165);
    /// per-message TTL is disabled (status 400).
    pub const MESSAGE_TTL_DISABLED: Self = Self(10166);
    /// too many requests (status 429).
    pub const STREAM_TOO_MANY_REQUESTS: Self = Self(10167);
    /// message counters is disabled (status 400).
    pub const MESSAGE_INCR_DISABLED: Self = Self(10168);
    /// message counter increment is missing (status 400).
    pub const MESSAGE_INCR_MISSING: Self = Self(10169);
    /// message counter has payload (status 400).
    pub const MESSAGE_INCR_PAYLOAD: Self = Self(10170);
    /// message counter increment is invalid (status 400).
    pub const MESSAGE_INCR_INVALID: Self = Self(10171);
    /// message counter is broken (status 400).
    pub const MESSAGE_COUNTER_BROKEN: Self = Self(10172);
    /// stream mirrors can not also calculate counters (status 400).
    pub const MIRROR_WITH_COUNTERS: Self = Self(10173);
    /// atomic publish is disabled (status 400).
    pub const ATOMIC_PUBLISH_DISABLED: Self = Self(10174);
    /// atomic publish sequence is missing (status 400).
    pub const ATOMIC_PUBLISH_MISSING_SEQ: Self = Self(10175);
    /// atomic publish batch is incomplete (status 400).
    pub const ATOMIC_PUBLISH_INCOMPLETE_BATCH: Self = Self(10176);
    /// atomic publish unsupported header used: `{header}` (status 400).
    pub const ATOMIC_PUBLISH_UNSUPPORTED_HEADER_BATCH: Self = Self(10177);
    /// priority groups can not be used with push consumers (status 400).
    pub const CONSUMER_PUSH_WITH_PRIORITY_GROUP: Self = Self(10178);
    /// atomic publish batch ID is invalid (status 400).
    pub const ATOMIC_PUBLISH_INVALID_BATCH_ID: Self = Self(10179);
    /// min last sequence (status 412).
    pub const STREAM_MIN_LAST_SEQ: Self = Self(10180);
    /// consumer ack policy invalid (status 400).
    pub const CONSUMER_ACK_POLICY_INVALID: Self = Self(10181);
    /// consumer replay policy invalid (status 400).
    pub const CONSUMER_REPLAY_POLICY_INVALID: Self = Self(10182);
    /// consumer ack wait needs to be positive (status 400).
    pub const CONSUMER_ACK_WAIT_NEGATIVE: Self = Self(10183);
    /// consumer backoff needs to be positive (status 400).
    pub const CONSUMER_BACK_OFF_NEGATIVE: Self = Self(10184);
    /// JetStream minimum api level required (status 412).
    pub const REQUIRED_API_LEVEL: Self = Self(10185);
    /// stream mirrors can not also schedule messages (status 400).
    pub const MIRROR_WITH_MSG_SCHEDULES: Self = Self(10186);
    /// stream source can not also schedule messages (status 400).
    pub const SOURCE_WITH_MSG_SCHEDULES: Self = Self(10187);
    /// message schedules is disabled (status 400).
    pub const MESSAGE_SCHEDULES_DISABLED: Self = Self(10188);
    /// message schedules pattern is invalid (status 400).
    pub const MESSAGE_SCHEDULES_PATTERN_INVALID: Self = Self(10189);
    /// message schedules target is invalid (status 400).
    pub const MESSAGE_SCHEDULES_TARGET_INVALID: Self = Self(10190);
    /// message schedules invalid per-message TTL (status 400).
    pub const MESSAGE_SCHEDULES_TTL_INVALID: Self = Self(10191);
    /// message schedules invalid rollup (status 400).
    pub const MESSAGE_SCHEDULES_ROLLUP_INVALID: Self = Self(10192);
    /// missing sequence for expected last sequence per subject (status 400).
    pub const STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID: Self = Self(10193);
    /// stream is offline: `{err}` (status 500).
    pub const STREAM_OFFLINE_REASON: Self = Self(10194);
    /// consumer is offline: `{err}` (status 500).
    pub const CONSUMER_OFFLINE_REASON: Self = Self(10195);
    /// consumer can not have priority groups when policy is none (status 400).
    pub const CONSUMER_PRIORITY_GROUP_WITH_POLICY_NONE: Self = Self(10196);
    /// PinnedTTL cannot be set when PriorityPolicy is none (status 400).
    pub const CONSUMER_PINNED_TTL_WITHOUT_PRIORITY_POLICY_NONE: Self = Self(10197);
    /// stream mirrors can not also use atomic publishing (status 400).
    pub const MIRROR_WITH_ATOMIC_PUBLISH: Self = Self(10198);
    /// atomic publish batch is too large: `{size}` (status 400).
    pub const ATOMIC_PUBLISH_TOO_LARGE_BATCH: Self = Self(10199);
    /// atomic publish batch commit is invalid (status 400).
    pub const ATOMIC_PUBLISH_INVALID_BATCH_COMMIT: Self = Self(10200);
    /// atomic publish batch contains duplicate message id (status 400).
    pub const ATOMIC_PUBLISH_CONTAINS_DUPLICATE_MESSAGE: Self = Self(10201);
    /// cluster member change is in progress (status 400).
    pub const CLUSTER_SERVER_MEMBER_CHANGE_INFLIGHT: Self = Self(10202);
    /// message schedules source is invalid (status 400).
    pub const MESSAGE_SCHEDULES_SOURCE_INVALID: Self = Self(10203);
    /// invalid reset: `{err}` (status 400).
    pub const CONSUMER_INVALID_RESET: Self = Self(10204);
    /// batch publish is disabled (status 400).
    pub const BATCH_PUBLISH_DISABLED: Self = Self(10205);
    /// batch publish pattern is invalid (status 400).
    pub const BATCH_PUBLISH_INVALID_PATTERN: Self = Self(10206);
    /// batch publish ID is invalid (status 400).
    pub const BATCH_PUBLISH_INVALID_BATCH_ID: Self = Self(10207);
    /// batch publish ID unknown (status 400).
    pub const BATCH_PUBLISH_UNKNOWN_BATCH_ID: Self = Self(10208);
    /// stream mirrors can not also use batch publishing (status 400).
    pub const MIRROR_WITH_BATCH_PUBLISH: Self = Self(10209);
    /// atomic publish too many inflight (status 429).
    pub const ATOMIC_PUBLISH_TOO_MANY_INFLIGHT: Self = Self(10210);
    /// batch publish too many inflight (status 429).
    pub const BATCH_PUBLISH_TOO_MANY_INFLIGHT: Self = Self(10211);
    /// message schedules invalid scheduler (status 400).
    pub const MESSAGE_SCHEDULES_SCHEDULER_INVALID: Self = Self(10212);
    /// stream mirror consumer config is invalid (status 400).
    pub const MIRROR_DURABLE_CONSUMER_CFG_INVALID: Self = Self(10213);
    /// stream mirror consumer requires flow control ack policy (status 400).
    pub const MIRROR_CONSUMER_REQUIRES_ACK_FC: Self = Self(10214);
    /// stream source consumer config is invalid (status 400).
    pub const SOURCE_DURABLE_CONSUMER_CFG_INVALID: Self = Self(10215);
    /// duplicate stream source consumer detected (status 400).
    pub const SOURCE_DURABLE_CONSUMER_DUPLICATE_DETECTED: Self = Self(10216);
    /// stream source consumer requires flow control ack policy (status 400).
    pub const SOURCE_CONSUMER_REQUIRES_ACK_FC: Self = Self(10217);
    /// flow control ack policy requires a push based consumer (status 400).
    pub const CONSUMER_ACK_FC_REQUIRES_PUSH: Self = Self(10218);
    /// flow control ack policy requires flow control (status 400).
    pub const CONSUMER_ACK_FC_REQUIRES_FC: Self = Self(10219);
    /// flow control ack policy requires max ack pending (status 400).
    pub const CONSUMER_ACK_FC_REQUIRES_MAX_ACK_PENDING: Self = Self(10220);
    /// flow control ack policy requires unset ack wait (status 400).
    pub const CONSUMER_ACK_FC_REQUIRES_NO_ACK_WAIT: Self = Self(10221);
    /// flow control ack policy requires unset max deliver (status 400).
    pub const CONSUMER_ACK_FC_REQUIRES_NO_MAX_DELIVER: Self = Self(10222);
    /// message schedules time zone is invalid (status 400).
    pub const MESSAGE_SCHEDULES_TIME_ZONE_INVALID: Self = Self(10223);
    /// JetStream system rescue not applied: `{err}` (status 400).
    pub const CLUSTER_RESCUE: Self = Self(10224);
    /// consumer's stream identity does not match: `{msg}` (status 400).
    pub const CONSUMER_STREAM_IDENTITY_MISMATCH: Self = Self(10225);
    /// stream reconfiguration already in progress (status 400).
    pub const STREAM_RECONFIGURE_IN_PROGRESS: Self = Self(10226);
    /// message stream source header is not allowed (status 400).
    pub const MESSAGE_SOURCE_HDR_NOT_ALLOWED: Self = Self(10227);
}

//! Per-key TTLs travel as whole seconds (the server's resolution); anything else is
//! refused rather than rounded, so a 500 ms TTL never silently becomes 0 (no expiry).

use std::time::Duration;

use crate::error::{ConfigProblem, Error, Result};

/// The TTL in whole seconds, or a typed error for sub-second or fractional TTLs.
pub(crate) fn whole_seconds(ttl: Duration) -> Result<u64> {
    if ttl < Duration::from_secs(1) || ttl.subsec_nanos() != 0 {
        return Err(Error::InvalidConfig {
            problem: ConfigProblem::Ttl { ttl },
        });
    }
    Ok(ttl.as_secs())
}

/// A per-key TTL on a bucket created without `key_ttl_markers`.
pub(crate) fn ttl_not_allowed(bucket: &str) -> Error {
    Error::InvalidConfig {
        problem: ConfigProblem::TtlNotAllowed {
            bucket: bucket.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_second_ttls_are_refused_not_truncated() {
        assert!(whole_seconds(Duration::from_millis(500)).is_err());
        assert!(whole_seconds(Duration::from_millis(1500)).is_err());
        assert!(whole_seconds(Duration::ZERO).is_err());
        assert_eq!(whole_seconds(Duration::from_secs(3)).ok(), Some(3));
    }
}

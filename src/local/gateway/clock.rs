//! Time and identifiers as API Gateway writes them: the `requestTime`
//! format (`01/Dec/2026:19:04:16 +0000`), ISO-8601 for `@connections`,
//! epoch milliseconds, and the base64 ids (`connectionId`, `requestId`,
//! `messageId`). No calendar crate: the civil date comes from Howard
//! Hinnant's days-to-civil algorithm.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use sha2::{Digest, Sha256};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Milliseconds since the Unix epoch (0 for a clock before 1970).
pub fn epoch_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The UTC civil time of `time`: (year, month 1-12, day, hour, minute,
/// second, millisecond).
fn civil(time: SystemTime) -> (i64, u32, u32, u32, u32, u32, u32) {
    let millis = epoch_millis(time);
    let secs = (millis / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (hour, minute, second) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
    (
        year,
        month,
        day,
        hour,
        minute,
        second,
        (millis % 1000) as u32,
    )
}

/// `requestTime`: `01/Dec/2026:19:04:16 +0000`.
pub fn request_time(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s, _) = civil(time);
    let month = MONTHS.get(mo as usize - 1).copied().unwrap_or("Jan");
    format!("{d:02}/{month}/{y}:{h:02}:{mi:02}:{s:02} +0000")
}

/// ISO-8601 in UTC with milliseconds: `2026-12-01T19:04:16.123Z`.
pub fn iso8601(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s, ms) = civil(time);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// `len` unpredictable bytes (not for cryptography: ids only), from a
/// process-wide counter, the clock and the standard library's random
/// hasher keys, through SHA-256.
fn random_bytes(len: usize) -> Vec<u8> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut digest = Sha256::new();
    digest.update(hasher.finish().to_le_bytes());
    digest.update(nanos.to_le_bytes());
    digest.update(std::process::id().to_le_bytes());
    digest.finalize().iter().copied().take(len).collect()
}

/// A `connectionId`: 12 URL-safe base64 characters ending in `=`.
pub fn connection_id() -> String {
    base64::engine::general_purpose::URL_SAFE.encode(random_bytes(8))
}

/// A `requestId` or `messageId`, shaped like AWS's (16 characters, `=`).
pub fn request_id() -> String {
    base64::engine::general_purpose::URL_SAFE.encode(random_bytes(11))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_a_known_instant() {
        // 2026-12-01T19:04:16.250Z
        let t = UNIX_EPOCH + Duration::from_millis(1_796_151_856_250);
        assert_eq!(request_time(t), "01/Dec/2026:19:04:16 +0000");
        assert_eq!(iso8601(t), "2026-12-01T19:04:16.250Z");
        assert_eq!(epoch_millis(t), 1_796_151_856_250);
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(iso8601(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn ids_look_like_aws() {
        let id = connection_id();
        assert_eq!(id.len(), 12, "{id}");
        assert!(id.ends_with('='));
        assert!(
            id[..11]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(connection_id(), connection_id());
        assert_eq!(request_id().len(), 16);
    }
}

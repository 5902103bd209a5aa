//! `--since`: where reading starts, as milliseconds since the Unix epoch.
//!
//! Two forms: a duration back from now, a whole number and one unit (`30s`,
//! `10m`, `2h`, `1d`, `1w`: seconds, minutes, hours, days of 24 hours,
//! weeks of 7 days), or a point in time: an RFC 3339 timestamp
//! (`2026-12-01T10:00:00Z`, `2026-12-01T10:00:00.5+02:00`) or a date
//! (`2026-12-01`, midnight UTC). A time in the future is refused: there is
//! nothing to read there yet.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::Error;

/// `--since` when it is not given.
pub const DEFAULT: &str = "10m";

/// The forms `--since` accepts, for error messages.
const FORMS: &str = "a duration such as 30s, 10m, 2h, 1d or 1w (seconds, minutes, hours, days, weeks), an RFC 3339 time such as 2026-12-01T10:00:00Z or 2026-12-01T12:00:00+02:00, or a date such as 2026-12-01 (midnight UTC)";

/// The start of `--since`, in milliseconds since the epoch, given the time
/// `now` (also in milliseconds).
pub fn parse(text: &str, now_ms: i64) -> Result<i64, Error> {
    let text = text.trim();
    let start = match duration_ms(text) {
        Some(Ok(back)) => now_ms
            .checked_sub(back)
            .filter(|s| *s >= 0)
            .ok_or_else(|| {
                invalid(
                    text,
                    "it reaches back before 1970",
                    "give a shorter duration or a date",
                )
            })?,
        Some(Err(e)) => return Err(e),
        None => point_ms(text)?,
    };
    if start > now_ms {
        return Err(invalid(
            text,
            &format!("it is in the future (now is {})", format_ms(now_ms)),
            "give a time in the past, or a duration such as 10m",
        ));
    }
    Ok(start)
}

/// A duration with its unit: `None` when `text` is not of that shape.
fn duration_ms(text: &str) -> Option<Result<i64, Error>> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let per: i64 = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => {
            return Some(Err(invalid(
                text,
                &format!("`{unit}` is not a unit"),
                "units: s (seconds), m (minutes), h (hours), d (days), w (weeks)",
            )));
        }
    };
    let too_long = || {
        invalid(
            text,
            "the duration is too long",
            "give a shorter duration or a date",
        )
    };
    Some(
        digits
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(per))
            .ok_or_else(too_long),
    )
}

/// An RFC 3339 time or a date, in milliseconds since the epoch.
fn point_ms(text: &str) -> Result<i64, Error> {
    let is_date = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    let full = if is_date {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    let parsed = DateTime::from_str(&full, Format::DateTimeWithOffset)
        .map_err(|_| invalid(text, "it is neither a duration nor a time", &accepted()))?;
    parsed
        .to_millis()
        .map_err(|_| invalid(text, "it is out of range", &accepted()))
}

fn accepted() -> String {
    format!("--since takes {FORMS}")
}

fn invalid(text: &str, why: &str, hint: &str) -> Error {
    Error {
        code: "InvalidSince",
        message: format!("--since `{text}` is not valid: {why}"),
        hint: Some(hint.to_owned()),
    }
}

/// A time as ISO 8601 in UTC with milliseconds: `2026-12-01T10:00:00.042Z`.
pub fn format_ms(ms: i64) -> String {
    let seconds = DateTime::from_secs(ms.div_euclid(1000))
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let seconds = seconds.trim_end_matches('Z');
    format!("{seconds}.{:03}Z", ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T10:00:00Z.
    const NOW: i64 = 1_796_119_200_000;

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(parse("30s", NOW), Ok(NOW - 30_000));
        assert_eq!(parse("10m", NOW), Ok(NOW - 600_000));
        assert_eq!(parse("2h", NOW), Ok(NOW - 7_200_000));
        assert_eq!(parse("1d", NOW), Ok(NOW - 86_400_000));
        assert_eq!(parse("1w", NOW), Ok(NOW - 604_800_000));
        assert_eq!(parse("0s", NOW), Ok(NOW));
        assert_eq!(parse(DEFAULT, NOW), Ok(NOW - 600_000));
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(format_ms(NOW), "2026-12-01T10:00:00.000Z");
        assert_eq!(parse("2026-12-01T09:00:00Z", NOW), Ok(NOW - 3_600_000));
        assert_eq!(parse("2026-12-01T09:00:00.250Z", NOW), Ok(NOW - 3_599_750));
        assert_eq!(parse("2026-12-01T10:00:00+02:00", NOW), Ok(NOW - 7_200_000));
        assert_eq!(parse("2026-12-01T04:00:00-05:00", NOW), Ok(NOW - 3_600_000));
        assert_eq!(parse("2026-12-01", NOW), Ok(NOW - 36_000_000));
        assert_eq!(parse("2026-11-30", NOW), Ok(NOW - 36_000_000 - 86_400_000));
    }

    #[test]
    fn malformed_names_the_accepted_forms() {
        for bad in [
            "",
            "10",
            "m",
            "ten minutes",
            "10 m",
            "-5m",
            "1.5h",
            "2026-13-01",
            "2026-12-01T10:00",
            "2026/12/01",
            "yesterday",
            "10min",
        ] {
            let e = parse(bad, NOW).expect_err(bad);
            assert_eq!(e.code, "InvalidSince", "{bad}");
            assert!(e.message.contains("--since"), "{bad}: {}", e.message);
            let hint = e.hint.unwrap_or_default();
            assert!(
                hint.contains("10m") || hint.contains("units:"),
                "{bad}: {hint}"
            );
        }
        let e = parse("10y", NOW).unwrap_err();
        assert!(e.message.contains("`y` is not a unit"), "{}", e.message);
        let e = parse("99999999999999w", NOW).unwrap_err();
        assert!(e.message.contains("too long"), "{}", e.message);
        let e = parse("3000w", NOW).unwrap_err();
        assert!(e.message.contains("before 1970"), "{}", e.message);
    }

    #[test]
    fn the_future_is_refused() {
        let e = parse("2026-12-01T10:00:01Z", NOW).unwrap_err();
        assert!(e.message.contains("in the future"), "{}", e.message);
        assert!(
            e.message.contains("2026-12-01T10:00:00.000Z"),
            "{}",
            e.message
        );
        assert!(parse("2026-12-02", NOW).is_err());
        assert!(parse("2026-12-01T10:00:00Z", NOW).is_ok());
    }

    #[test]
    fn formats_milliseconds_always() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(NOW + 42), "2026-12-01T10:00:00.042Z");
        assert_eq!(format_ms(NOW + 999), "2026-12-01T10:00:00.999Z");
        assert_eq!(format_ms(-1), "1969-12-31T23:59:59.999Z");
    }
}

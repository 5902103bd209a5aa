//! `authorizer: iam`: the handshake's SigV4 signature for `execute-api`,
//! in the `Authorization` header or presigned in the query string
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature`, `X-Amz-Expires`). Without it,
//! or ill-formed (another service or region, a stale date, `host` not
//! signed), the handshake is refused; with credentials, the signature is
//! recomputed over the GET request (canonical request, string to sign,
//! derived key) and must match. Both the empty body's hash and
//! `UNSIGNED-PAYLOAD` are accepted as the payload hash.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Uri};
use sha2::{Digest, Sha256};

use super::Credentials;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "execute-api";
const TERMINATOR: &str = "aws4_request";
/// SHA-256 of an empty body.
const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const UNSIGNED: &str = "UNSIGNED-PAYLOAD";
/// How far a signature's date may be from now (AWS: 15 minutes).
const SKEW: Duration = Duration::from_secs(15 * 60);
/// The longest `X-Amz-Expires` (AWS: 7 days).
const MAX_EXPIRES: u64 = 7 * 24 * 3600;

/// Why a handshake's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// No signature at all (AWS: "Missing Authentication Token").
    Missing,
    /// A signature that is ill-formed or does not match.
    Invalid(String),
}

/// A signature as the request carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    access_key: String,
    /// `YYYYMMDD` of the credential scope.
    scope_date: String,
    region: String,
    service: String,
    terminator: String,
    /// `X-Amz-Date`: `YYYYMMDDTHHMMSSZ`.
    amz_date: String,
    signed_headers: Vec<String>,
    signature: String,
    /// `X-Amz-Expires` when presigned.
    expires: Option<u64>,
    presigned: bool,
}

/// Checks the handshake's signature: the access key it names, or why it
/// is refused. `credentials` None: a well-formed signature is accepted.
pub fn check(
    headers: &HeaderMap,
    uri: &Uri,
    region: &str,
    credentials: Option<&Credentials>,
    now: SystemTime,
) -> Result<String, SigError> {
    let sig = parse(headers, uri)?;
    well_formed(&sig, headers, region, now).map_err(SigError::Invalid)?;
    if let Some(credentials) = credentials {
        if sig.access_key != credentials.access_key_id {
            return Err(SigError::Invalid(format!(
                "the access key `{}` is not dev's (`{}`)",
                sig.access_key, credentials.access_key_id
            )));
        }
        let key = signing_key(&credentials.secret_access_key, &sig);
        let matched = canonical_requests(&sig, headers, uri)
            .iter()
            .any(|request| same(&signature_of(&key, &sig, request), &sig.signature));
        if !matched {
            return Err(SigError::Invalid(
                "the signature does not match the request".into(),
            ));
        }
    }
    Ok(sig.access_key)
}

/// The signature in the `Authorization` header, else in the query string.
fn parse(headers: &HeaderMap, uri: &Uri) -> Result<Signature, SigError> {
    let query = query_pairs(uri);
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let invalid = |what: &str| SigError::Invalid(format!("the signature has no {what}"));
    if let Some(auth) = header("authorization") {
        let Some(rest) = auth.trim().strip_prefix(ALGORITHM) else {
            return Err(SigError::Invalid(format!(
                "the Authorization header is not {ALGORITHM}"
            )));
        };
        let fields: Vec<(&str, &str)> = rest
            .split(',')
            .filter_map(|f| f.trim().split_once('='))
            .collect();
        let field = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        return signature(
            field("Credential").ok_or_else(|| invalid("Credential"))?,
            header("x-amz-date").ok_or_else(|| invalid("X-Amz-Date header"))?,
            field("SignedHeaders").ok_or_else(|| invalid("SignedHeaders"))?,
            field("Signature").ok_or_else(|| invalid("Signature"))?,
            None,
        );
    }
    let Some(algorithm) = param("X-Amz-Algorithm") else {
        return Err(SigError::Missing);
    };
    if algorithm != ALGORITHM {
        return Err(SigError::Invalid(format!(
            "X-Amz-Algorithm is not {ALGORITHM}"
        )));
    }
    let expires = match param("X-Amz-Expires") {
        None => None,
        Some(e) => Some(e.parse().map_err(|_| invalid("valid X-Amz-Expires"))?),
    };
    signature(
        &param("X-Amz-Credential").ok_or_else(|| invalid("X-Amz-Credential"))?,
        &param("X-Amz-Date").ok_or_else(|| invalid("X-Amz-Date"))?,
        &param("X-Amz-SignedHeaders").ok_or_else(|| invalid("X-Amz-SignedHeaders"))?,
        &param("X-Amz-Signature").ok_or_else(|| invalid("X-Amz-Signature"))?,
        Some(expires),
    )
}

/// Assembles a signature; `presigned` carries `X-Amz-Expires`.
fn signature(
    credential: &str,
    amz_date: &str,
    signed_headers: &str,
    signature: &str,
    presigned: Option<Option<u64>>,
) -> Result<Signature, SigError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, scope_date, region, service, terminator] = parts[..] else {
        return Err(SigError::Invalid(format!(
            "the credential `{credential}` is not KEY/DATE/REGION/SERVICE/aws4_request"
        )));
    };
    Ok(Signature {
        access_key: access_key.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: terminator.to_owned(),
        amz_date: amz_date.to_owned(),
        signed_headers: signed_headers
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        signature: signature.to_owned(),
        expires: presigned.flatten(),
        presigned: presigned.is_some(),
    })
}

/// What a signature must be before it is worth verifying: for
/// `execute-api` in `region`, dated now (or, presigned, not expired),
/// `host` and every signed header present, a hex signature.
fn well_formed(
    sig: &Signature,
    headers: &HeaderMap,
    region: &str,
    now: SystemTime,
) -> Result<(), String> {
    if sig.service != SERVICE {
        return Err(format!("signed for `{}`, not `{SERVICE}`", sig.service));
    }
    if sig.region != region {
        return Err(format!(
            "signed for region `{}`, not `{region}`",
            sig.region
        ));
    }
    if sig.terminator != TERMINATOR || sig.access_key.is_empty() {
        return Err("the credential scope is ill-formed".into());
    }
    if sig.signature.len() != 64 || !sig.signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the signature is not 64 hex digits".into());
    }
    if !sig.signed_headers.iter().any(|h| h == "host") {
        return Err("`host` is not among the signed headers".into());
    }
    if let Some(missing) = sig
        .signed_headers
        .iter()
        .find(|h| !headers.contains_key(h.as_str()))
    {
        return Err(format!(
            "the signed header `{missing}` is not in the request"
        ));
    }
    let date = parse_amz_date(&sig.amz_date)
        .ok_or_else(|| format!("X-Amz-Date `{}` is not YYYYMMDDTHHMMSSZ", sig.amz_date))?;
    if !sig.amz_date.starts_with(&sig.scope_date) {
        return Err("the credential's date is not X-Amz-Date's".into());
    }
    let early = date > now + SKEW;
    let late = if sig.presigned {
        let expires = sig.expires.unwrap_or(SKEW.as_secs());
        expires > MAX_EXPIRES || now > date + Duration::from_secs(expires)
    } else {
        now > date + SKEW
    };
    if early || late {
        return Err("the signature has expired or is not yet valid".into());
    }
    Ok(())
}

/// The canonical requests the client may have signed: the path encoded
/// again (as the SDKs do for `execute-api`) or as sent, and either payload
/// hash.
fn canonical_requests(sig: &Signature, headers: &HeaderMap, uri: &Uri) -> Vec<String> {
    let path = if uri.path().is_empty() {
        "/"
    } else {
        uri.path()
    };
    let mut paths = vec![encode(path.as_bytes(), false)];
    if paths[0] != path {
        paths.push(path.to_owned());
    }
    let mut hashes: Vec<String> = Vec::new();
    if let Some(h) = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        hashes.push(h.to_owned());
    }
    hashes.extend([EMPTY_HASH.to_owned(), UNSIGNED.to_owned()]);
    let query = canonical_query(uri, sig.presigned);
    let signed = sig.signed_headers.join(";");
    let canonical_headers: String = sig
        .signed_headers
        .iter()
        .map(|name| format!("{name}:{}\n", header_value(headers, name)))
        .collect();
    let mut requests = Vec::new();
    for path in &paths {
        for hash in &hashes {
            requests.push(format!(
                "GET\n{path}\n{query}\n{canonical_headers}\n{signed}\n{hash}"
            ));
        }
    }
    requests
}

/// A header's values, trimmed, runs of spaces collapsed, joined by `,`.
fn header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The query string, decoded, re-encoded as SigV4 wants and sorted;
/// presigned, without `X-Amz-Signature`.
fn canonical_query(uri: &Uri, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(uri)
        .into_iter()
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| (encode(k.as_bytes(), true), encode(v.as_bytes(), true)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The query string's pairs, percent-decoded (`+` stays a `+`).
fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let Some(query) = uri.query() else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 3986 encoding: unreserved characters as they are (and `/` too
/// unless `slash`), everything else `%XX`.
fn encode(bytes: &[u8], slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !slash) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The key derived from the secret for the signature's scope.
fn signing_key(secret: &str, sig: &Signature) -> Vec<u8> {
    let k_date = hmac(
        format!("AWS4{secret}").as_bytes(),
        sig.scope_date.as_bytes(),
    );
    let k_region = hmac(&k_date, sig.region.as_bytes());
    let k_service = hmac(&k_region, sig.service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// The hex signature of `canonical_request`.
fn signature_of(key: &[u8], sig: &Signature, canonical_request: &str) -> String {
    let scope = format!(
        "{}/{}/{}/{TERMINATOR}",
        sig.scope_date, sig.region, sig.service
    );
    let to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        sig.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    hex(&hmac(key, to_sign.as_bytes()))
}

/// HMAC-SHA256 (RFC 2104).
pub(super) fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y.to_ascii_lowercase()))
            == 0
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        let mac = hmac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_aws_documentation_example_key() {
        // The derived key of AWS's "Examples of how to derive a signing key".
        let sig = signature(
            "AKIDEXAMPLE/20120215/us-east-1/iam/aws4_request",
            "20120215T000000Z",
            "host",
            "",
            None,
        )
        .unwrap();
        let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &sig);
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn dates_and_encoding() {
        let t = parse_amz_date("20261201T190416Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_796_151_856));
        assert_eq!(
            parse_amz_date("20000229T000000Z"),
            Some(UNIX_EPOCH + Duration::from_secs(951_782_400))
        );
        assert_eq!(parse_amz_date("2026-12-01T19:04Z"), None);
        assert_eq!(encode(b"a b/c~", true), "a%20b%2Fc~");
        assert_eq!(encode(b"/dev/x y", false), "/dev/x%20y");
        assert_eq!(decode("a%2Fb%zz+"), "a/b%zz+");
    }
}

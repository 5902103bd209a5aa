//! Helpers every AWS call site shares: retries with budgets, "not found"
//! as an answer, pagination of API Gateway lists, tags in each service's
//! shape, and IAM's policy documents.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::{AwsError, ErrorKind};
use crate::state::Tags;

/// Every page of an API Gateway v2 `Get*` list call, collected (API
/// Gateway v2's model declares no paginators, so the SDK has none; IAM's
/// and ACM's lists use the SDK's `into_paginator`). `$call` builds the
/// request (it is built again for each page), `$op` names the operation
/// and `$res` the resource for errors. Used inside a function returning
/// `Result<_, AwsError>`.
macro_rules! all_pages {
    ($call:expr, $op:expr, $res:expr) => {{
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = $call
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| $crate::aws::error::AwsError::from_sdk($op, $res, e))?;
            items.extend(out.items().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break items;
            }
        }
    }};
}
pub(crate) use all_pages;

/// How long to keep retrying one call, by what went wrong.
#[derive(Debug, Clone, Copy)]
pub struct RetryBudget {
    /// Throttling and conflicts.
    pub transient: Duration,
    /// A new role not yet assumable by Lambda (Chalice waits 150 s,
    /// Terraform 2 minutes; usually it takes seconds).
    pub role_propagation: Duration,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            transient: Duration::from_secs(90),
            role_propagation: Duration::from_secs(120),
        }
    }
}

/// Runs `call` until it succeeds, fails with an error not worth retrying,
/// or the budget for its kind of error is spent. Backoff doubles from
/// 100 ms to 5 s with jitter.
pub async fn retry<T, F, Fut>(budget: RetryBudget, mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(100);
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let limit = match e.kind {
                    ErrorKind::Throttled | ErrorKind::Conflict => budget.transient,
                    ErrorKind::RolePropagation => budget.role_propagation,
                    _ => return Err(e),
                };
                if start.elapsed() + delay > limit {
                    let mut e = e;
                    e.hint = Some(format!(
                        "gave up after {attempt} attempts in {:.0} s (the retry budget for this error is {} s); run again to continue",
                        start.elapsed().as_secs_f64(),
                        limit.as_secs()
                    ));
                    return Err(e);
                }
                tokio::time::sleep(jitter(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Up to 25% off, from the clock's low bits: enough to spread retries of
/// concurrent calls without a random-number crate.
pub(crate) fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let cut = d.as_millis() as u64 * u64::from(nanos % 250) / 1000;
    d.saturating_sub(Duration::from_millis(cut))
}

/// Removes and sets tags as a plan's tag changes say (`Action::tags_to_set`
/// and `tag_keys_to_remove`), each call retried: `untag` and `tag` make the
/// service's own calls.
pub async fn retag<U, UF, T, TF>(
    budget: RetryBudget,
    add: &Tags,
    remove: &[String],
    untag: U,
    tag: T,
) -> Result<(), AwsError>
where
    U: Fn(Vec<String>) -> UF,
    UF: Future<Output = Result<(), AwsError>>,
    T: Fn(Tags) -> TF,
    TF: Future<Output = Result<(), AwsError>>,
{
    if !remove.is_empty() {
        retry(budget, || untag(remove.to_vec())).await?;
    }
    if !add.is_empty() {
        retry(budget, || tag(add.clone())).await?;
    }
    Ok(())
}

/// A read of something that may not exist: "not found" is `None`.
pub fn found<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Deleting what is already gone counts as done.
pub fn gone_is_done<T>(r: Result<T, AwsError>) -> Result<(), AwsError> {
    found(r).map(|_| ())
}

/// Creating what a stopped run already created counts as done.
pub fn there_is_done<T>(r: Result<T, AwsError>) -> Result<(), AwsError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.kind == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A string map as SDK outputs carry them (tags, stage variables), sorted.
pub fn map_of(map: Option<&std::collections::HashMap<String, String>>) -> Tags {
    map.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Tags in IAM's shape.
pub fn iam_tags(tags: &Tags) -> Vec<aws_sdk_iam::types::Tag> {
    tags.iter()
        .filter_map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .ok()
        })
        .collect()
}

/// IAM returns policy documents URL-encoded; some emulators do not.
pub fn decode_policy(doc: &str) -> serde_json::Value {
    let text = if doc.trim_start().starts_with('{') {
        doc.to_owned()
    } else {
        percent_decode(doc)
    };
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_url_encoded_policies() {
        let v = decode_policy("%7B%22Version%22%3A%222012-10-17%22%7D");
        assert_eq!(v["Version"], "2012-10-17");
        let v = decode_policy("{\"a\":1}");
        assert_eq!(v["a"], 1);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}

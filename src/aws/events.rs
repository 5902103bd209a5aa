//! Log events for `wsdeploy logs`: which log groups exist
//! (DescribeLogGroups by prefix) and their events (FilterLogEvents, one
//! group per call, every page), all under one rate limit.
//!
//! CloudWatch Logs allows 5 FilterLogEvents per second per account and
//! region. Every call a `Reader` makes (its retries too) holds a slot of
//! its `Limiter` (`limit`) from its start to its answer: at most `CALLS`
//! reach AWS in any `PER`, leaving headroom for other clients of the
//! account. The calls go through a client without the SDK's own retries,
//! so that no attempt escapes the limit; throttled and unanswered calls
//! are retried here, with backoff.

mod limit;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::util::{RetryBudget, jitter};
use super::{Aws, AwsError, ErrorKind};
use crate::logs::Event;
use limit::Limiter;

/// At most this many CloudWatch Logs calls reach AWS in any `PER`.
pub const CALLS: usize = 4;
/// The window of the rate limit.
pub const PER: Duration = Duration::from_secs(1);

/// Attempts of a call that gets no answer (an endpoint that refuses
/// connections fails within seconds, as the SDK's own retries would).
const TRANSPORT_ATTEMPTS: u32 = 5;

/// Reads log groups and their events, every call under one `Limiter`.
#[derive(Clone)]
pub struct Reader {
    logs: aws_sdk_cloudwatchlogs::Client,
    limiter: Arc<Limiter>,
    budget: RetryBudget,
}

impl Reader {
    /// A reader with its own limiter of `CALLS` per `PER`.
    /// `budget.transient` bounds the retries of one call.
    pub fn new(aws: &Aws, budget: RetryBudget) -> Reader {
        Reader {
            logs: aws.logs_once.clone(),
            limiter: Arc::new(Limiter::new(CALLS, PER)),
            budget,
        }
    }

    /// The names of the log groups that start with `prefix`, every page.
    pub async fn groups(&self, prefix: &str) -> Result<BTreeSet<String>, AwsError> {
        let mut names = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .call("DescribeLogGroups", prefix, || {
                    self.logs
                        .describe_log_groups()
                        .log_group_name_prefix(prefix)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            names.extend(
                out.log_groups()
                    .iter()
                    .filter_map(|g| g.log_group_name().map(str::to_owned)),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    /// Every event of `group` from `start` (milliseconds since the epoch)
    /// that matches `pattern`, every page; `None` when the group does not
    /// exist.
    pub async fn events(
        &self,
        group: &str,
        start: i64,
        pattern: Option<&str>,
    ) -> Result<Option<Vec<Event>>, AwsError> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .call("FilterLogEvents", group, || {
                    self.logs
                        .filter_log_events()
                        .log_group_name(group)
                        .start_time(start)
                        .set_filter_pattern(pattern.map(str::to_owned))
                        .set_next_token(token.clone())
                        .send()
                })
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            events.extend(out.events().iter().map(|e| Event {
                timestamp: e.timestamp().unwrap_or_default(),
                group: group.to_owned(),
                stream: e.log_stream_name().unwrap_or_default().to_owned(),
                id: e.event_id().unwrap_or_default().to_owned(),
                message: e.message().unwrap_or_default().to_owned(),
            }));
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(Some(events));
            }
        }
    }

    /// One call under the limiter, retried while it is throttled (for up
    /// to `budget.transient`) or unanswered (`TRANSPORT_ATTEMPTS` in all),
    /// each attempt taking a slot, with backoff from 100 ms to 5 s.
    async fn call<T, E, R, F, Fut>(
        &self,
        operation: &str,
        resource: &str,
        mut send: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        let began = Instant::now();
        let mut delay = Duration::from_millis(100);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let slot = self.limiter.slot().await;
            let sent = send().await;
            drop(slot);
            let mut e = match sent {
                Ok(v) => return Ok(v),
                Err(e) => AwsError::from_sdk(operation, resource, e),
            };
            let again = match e.kind {
                ErrorKind::Throttled => true,
                ErrorKind::Transport => attempt < TRANSPORT_ATTEMPTS,
                _ => false,
            };
            if !again {
                return Err(e);
            }
            if began.elapsed() + delay > self.budget.transient {
                e.hint = Some(format!(
                    "gave up after {attempt} attempts in {:.0} s; run again to continue",
                    began.elapsed().as_secs_f64()
                ));
                return Err(e);
            }
            tokio::time::sleep(jitter(delay)).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

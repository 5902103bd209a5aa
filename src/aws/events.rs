//! Log events for `wsdeploy logs`: which log groups exist
//! (DescribeLogGroups by prefix) and their events (FilterLogEvents, one
//! group per call, every page), all under one rate limit.
//!
//! CloudWatch Logs allows 5 FilterLogEvents per second per account and
//! region. Every call a `Reader` makes (its retries too) first takes a
//! slot of its `Limiter`: at most `CALLS` start in any `PER`, leaving
//! headroom for other clients of the account. The calls go through a
//! client without the SDK's own retries, so that no attempt escapes the
//! limit; throttled and unanswered calls are retried here, with backoff.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::util::{RetryBudget, jitter};
use super::{Aws, AwsError, ErrorKind};
use crate::logs::Event;

/// At most this many CloudWatch Logs calls start in any `PER`.
pub const CALLS: usize = 4;
/// The window of the rate limit.
pub const PER: Duration = Duration::from_secs(1);
/// Added to `PER` when spacing calls, so that they also arrive at AWS
/// within the limit (a call reaches AWS a little after it starts, and not
/// always equally late).
pub const MARGIN: Duration = Duration::from_millis(50);

/// Attempts of a call that gets no answer (an endpoint that refuses
/// connections fails within seconds, as the SDK's own retries would).
const TRANSPORT_ATTEMPTS: u32 = 5;

/// When calls may start: the pure part of the limiter. Times are offsets
/// from any fixed origin.
#[derive(Debug, Clone)]
pub struct Schedule {
    calls: usize,
    per: Duration,
    /// The start times given to the last `calls` calls, in order.
    starts: VecDeque<Duration>,
}

impl Schedule {
    pub fn new(calls: usize, per: Duration) -> Schedule {
        Schedule {
            calls: calls.max(1),
            per,
            starts: VecDeque::new(),
        }
    }

    /// Books the next call, asked for at `now`: returns when it may start,
    /// `now` or later. Starts are given in order, and a call starts no
    /// sooner than `per` after the call `calls` places before it, so no
    /// window of length `per` holds more than `calls` starts.
    pub fn book(&mut self, now: Duration) -> Duration {
        let mut at = now;
        if let Some(last) = self.starts.back() {
            at = at.max(*last);
        }
        if self.starts.len() == self.calls
            && let Some(first) = self.starts.pop_front()
        {
            at = at.max(first + self.per);
        }
        self.starts.push_back(at);
        at
    }
}

/// The shared rate limit: every CloudWatch Logs call of a command waits
/// for a slot here.
#[derive(Debug)]
pub struct Limiter {
    origin: Instant,
    schedule: Mutex<Schedule>,
}

impl Limiter {
    pub fn new(calls: usize, per: Duration) -> Limiter {
        Limiter {
            origin: Instant::now(),
            schedule: Mutex::new(Schedule::new(calls, per)),
        }
    }

    /// Waits until a call may start.
    pub async fn slot(&self) {
        let at = {
            let now = self.origin.elapsed();
            match self.schedule.lock() {
                Ok(mut s) => s.book(now),
                Err(poisoned) => poisoned.into_inner().book(now),
            }
        };
        tokio::time::sleep_until((self.origin + at).into()).await;
    }
}

/// Reads log groups and their events, every call under one `Limiter`.
#[derive(Clone)]
pub struct Reader {
    logs: aws_sdk_cloudwatchlogs::Client,
    limiter: Arc<Limiter>,
    budget: RetryBudget,
}

impl Reader {
    /// A reader with its own limiter of `CALLS` per `PER` (plus `MARGIN`).
    /// `budget.transient` bounds the retries of one call.
    pub fn new(aws: &Aws, budget: RetryBudget) -> Reader {
        Reader {
            logs: aws.logs_once.clone(),
            limiter: Arc::new(Limiter::new(CALLS, PER + MARGIN)),
            budget,
        }
    }

    /// Takes `n` slots for CloudWatch Logs calls made elsewhere (observing
    /// the stage reads the access-log group), so that they count too.
    pub async fn count_calls_made_elsewhere(&self, n: usize) {
        for _ in 0..n {
            self.limiter.slot().await;
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
            self.limiter.slot().await;
            let mut e = match send().await {
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

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The most starts in any half-open window `[t, t + per)`.
    fn busiest(starts: &[Duration], per: Duration) -> usize {
        starts
            .iter()
            .map(|t| starts.iter().filter(|u| *u >= t && **u < *t + per).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn four_start_at_once_then_one_per_slot_freed() {
        let mut s = Schedule::new(4, S);
        let starts: Vec<Duration> = (0..10).map(|_| s.book(Duration::ZERO)).collect();
        assert_eq!(
            starts,
            [0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000, 2000].map(ms)
        );
        assert_eq!(busiest(&starts, S), 4);
    }

    #[test]
    fn a_quiet_limiter_lets_calls_start_when_asked() {
        let mut s = Schedule::new(4, S);
        for t in [0, 400, 800, 1200, 1600, 2000] {
            assert_eq!(s.book(ms(t)), ms(t));
        }
        // The fifth call in [1000, 2000) waits for the second to leave it.
        let mut s = Schedule::new(4, S);
        for t in [0, 100, 200, 300] {
            s.book(ms(t));
        }
        assert_eq!(s.book(ms(350)), ms(1000));
        assert_eq!(s.book(ms(1050)), ms(1100));
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        // Bursts and pauses at pseudo-random times (a fixed LCG).
        let mut s = Schedule::new(4, S);
        let mut seed: u64 = 42;
        let mut now = Duration::ZERO;
        let mut starts = Vec::new();
        for _ in 0..2_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            now += ms((seed >> 33) % 700);
            let burst = 1 + (seed >> 20) % 6;
            for _ in 0..burst {
                let at = s.book(now);
                assert!(at >= now);
                assert!(starts.last().is_none_or(|l| at >= *l), "starts in order");
                starts.push(at);
            }
        }
        assert_eq!(busiest(&starts, S), 4);
    }

    #[test]
    fn fifty_calls_at_once_spread_over_twelve_windows() {
        let mut s = Schedule::new(CALLS, PER + MARGIN);
        let last = (0..50).map(|_| s.book(Duration::ZERO)).last().unwrap();
        assert_eq!(last, (PER + MARGIN) * 12);
    }
}

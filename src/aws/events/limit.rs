//! The rate limit of `wsdeploy logs`: at most `calls` CloudWatch Logs
//! calls reach AWS in any window of `per`.
//!
//! A call reaches AWS at some moment between its start and its answer, and
//! how long after its start depends on the network and on the machine (a
//! loaded one can hold a request back for a good part of a second). So
//! the limit is kept on those bounds, not on the starts alone: a call
//! starts only once the call `calls` places before it has been answered,
//! and `per` after that answer. Any `calls + 1` calls then include two,
//! `calls` places apart, whose arrivals are at least `per` apart, however
//! late each one travelled; the price is the time of one answer per
//! window (a window of 4 calls lasts 1 s plus one round trip). Calls start
//! in the order they asked for a slot.
//!
//! `Schedule` is the pure rule, over times given to it; `Limiter` runs it
//! on the clock.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// What the next call must wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// It may start at this time (or at once, if that has passed).
    Until(Duration),
    /// The call with this id must be answered first.
    Answer(u64),
}

/// The rule, over times that are offsets from any fixed origin.
#[derive(Debug, Clone)]
pub struct Schedule {
    calls: usize,
    per: Duration,
    /// The last `calls` calls started, oldest first: id and, once
    /// answered, when.
    recent: VecDeque<(u64, Option<Duration>)>,
    /// The latest answer of the calls before `recent`.
    floor: Option<Duration>,
    next_id: u64,
}

impl Schedule {
    pub fn new(calls: usize, per: Duration) -> Schedule {
        Schedule {
            calls: calls.max(1),
            per,
            recent: VecDeque::new(),
            floor: None,
            next_id: 0,
        }
    }

    /// What the next call waits for, asked at `now`.
    pub fn wait(&mut self, now: Duration) -> Wait {
        while self.recent.len() >= self.calls {
            match self.recent.front() {
                Some(&(_, Some(answered))) => {
                    self.floor = Some(self.floor.map_or(answered, |f| f.max(answered)));
                    self.recent.pop_front();
                }
                Some(&(id, None)) => return Wait::Answer(id),
                None => break,
            }
        }
        Wait::Until(self.floor.map_or(now, |f| now.max(f + self.per)))
    }

    /// The next call starts (once `wait` said it may): its id.
    pub fn start(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.recent.push_back((id, None));
        id
    }

    /// Call `id` was answered (or given up) at `at`.
    pub fn answered(&mut self, id: u64, at: Duration) {
        if let Some(entry) = self.recent.iter_mut().find(|(i, _)| *i == id) {
            entry.1 = Some(at);
        }
    }
}

/// The rule on the clock, shared by every call of a command.
#[derive(Debug)]
pub struct Limiter {
    origin: Instant,
    schedule: Mutex<Schedule>,
    /// Held while waiting for a slot: calls start in the order they asked.
    turn: tokio::sync::Mutex<()>,
    answered: Notify,
}

/// A call's place in the limit; dropping it says the call was answered.
#[must_use = "the slot must live as long as the call"]
pub struct Slot<'a> {
    limiter: &'a Limiter,
    id: u64,
}

impl Limiter {
    pub fn new(calls: usize, per: Duration) -> Limiter {
        Limiter {
            origin: Instant::now(),
            schedule: Mutex::new(Schedule::new(calls, per)),
            turn: tokio::sync::Mutex::new(()),
            answered: Notify::new(),
        }
    }

    fn schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until a call may start; the call holds the slot until it is
    /// answered.
    pub async fn slot(&self) -> Slot<'_> {
        let _turn = self.turn.lock().await;
        loop {
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let wait = self.schedule().wait(self.origin.elapsed());
            match wait {
                Wait::Until(at) => {
                    tokio::time::sleep_until((self.origin + at).into()).await;
                    break;
                }
                Wait::Answer(_) => answered.await,
            }
        }
        let id = self.schedule().start();
        Slot { limiter: self, id }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let at = self.limiter.origin.elapsed();
        self.limiter.schedule().answered(self.id, at);
        self.limiter.answered.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Runs calls through the rule: each asks at `asks[i]` (or when the
    /// one before it started, if later: calls start in order) and takes
    /// `takes[i]`. Returns (start, answer) per call.
    fn simulate(asks: &[Duration], takes: &[Duration]) -> Vec<(Duration, Duration)> {
        let mut s = Schedule::new(4, S);
        let mut done: Vec<(Duration, Duration)> = Vec::new();
        let mut last_start = Duration::ZERO;
        for (ask, take) in asks.iter().zip(takes) {
            let mut now = (*ask).max(last_start);
            let start = loop {
                match s.wait(now) {
                    Wait::Until(at) => break at,
                    Wait::Answer(id) => {
                        let answer = done[id as usize].1;
                        s.answered(id, answer);
                        now = now.max(answer);
                    }
                }
            };
            let id = s.start();
            assert_eq!(id as usize, done.len());
            done.push((start, start + *take));
            last_start = start;
        }
        done
    }

    /// The most calls that can have reached AWS within one half-open
    /// window of `per`, wherever in [start, answer] each one arrived: the
    /// rule holds when, of any `calls + 1` calls in start order, the last
    /// starts at least `per` after the first was answered.
    fn holds(calls: &[(Duration, Duration)]) -> bool {
        calls.windows(5).all(|w| w[4].0 >= w[0].1 + S)
    }

    #[test]
    fn four_at_once_then_a_second_after_their_answers() {
        let calls = simulate(&[Duration::ZERO; 9], &[ms(50); 9]);
        let starts: Vec<Duration> = calls.iter().map(|c| c.0).collect();
        assert_eq!(starts, [0, 0, 0, 0, 1050, 1050, 1050, 1050, 2100].map(ms));
        assert!(holds(&calls));
    }

    #[test]
    fn a_quiet_limiter_starts_calls_when_asked() {
        let asks = [0, 400, 800, 1200, 1600, 2000, 2400].map(ms);
        let calls = simulate(&asks, &[ms(20); 7]);
        let starts: Vec<Duration> = calls.iter().map(|c| c.0).collect();
        // The fifth waits for the first's answer (at 20 ms) and a second.
        assert_eq!(starts, [0, 400, 800, 1200, 1600, 2000, 2400].map(ms));
        let asks = [0, 100, 200, 300, 350, 1050].map(ms);
        let calls = simulate(&asks, &[ms(10); 6]);
        let starts: Vec<Duration> = calls.iter().map(|c| c.0).collect();
        assert_eq!(starts, [0, 100, 200, 300, 1010, 1110].map(ms));
    }

    #[test]
    fn a_slow_answer_holds_the_call_four_places_later() {
        // The first call takes 3 s: the fifth waits for it, then a second.
        let mut takes = [ms(50); 6];
        takes[0] = ms(3_000);
        let calls = simulate(&[Duration::ZERO; 6], &takes);
        assert_eq!(calls[4].0, ms(4_000));
        assert_eq!(calls[5].0, ms(4_000));
        assert!(holds(&calls));
    }

    #[test]
    fn no_window_ever_holds_more_than_four_arrivals() {
        // Bursts, pauses and answers of every length, from a fixed LCG.
        let mut seed: u64 = 42;
        let mut rand = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        let mut now = Duration::ZERO;
        let (mut asks, mut takes) = (Vec::new(), Vec::new());
        for _ in 0..3_000 {
            now += ms(rand(600));
            for _ in 0..1 + rand(6) {
                asks.push(now);
                takes.push(ms(rand(1_500)));
            }
        }
        let calls = simulate(&asks, &takes);
        assert!(holds(&calls));
        // Starts in order, never before asked.
        for (i, c) in calls.iter().enumerate() {
            assert!(c.0 >= asks[i]);
            assert!(i == 0 || c.0 >= calls[i - 1].0);
        }
        // Arrivals at the worst moments: each at its start or at its
        // answer, chosen to crowd a window.
        for pick in [0u64, 1, 2] {
            let mut arrivals: Vec<Duration> = calls
                .iter()
                .enumerate()
                .map(|(i, c)| match (pick + i as u64) % 3 {
                    0 => c.0,
                    1 => c.1,
                    _ => (c.0 + c.1) / 2,
                })
                .collect();
            arrivals.sort();
            // For each arrival, how many fall in [it, it + 1 s).
            let mut end = 0;
            let mut busiest = 0;
            for (i, t) in arrivals.iter().enumerate() {
                while end < arrivals.len() && arrivals[end] < *t + S {
                    end += 1;
                }
                busiest = busiest.max(end - i);
            }
            assert!(busiest <= 4, "{busiest}");
        }
    }

    #[test]
    fn fifty_calls_at_fifty_ms_take_twelve_windows() {
        let calls = simulate(&[Duration::ZERO; 50], &[ms(50); 50]);
        assert_eq!(calls[49].0, ms(12 * 1_050));
    }
}

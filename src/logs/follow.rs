//! What `--follow` has seen: where each group's next read starts, and
//! which events were already printed.
//!
//! `--follow` reads every group again each round. CloudWatch Logs does not
//! make events readable the moment they are written (and a writer stamps
//! them before they arrive), so a read starts `OVERLAP_MS` before the
//! newest event seen in its group, and events are deduplicated by their
//! id. An event is printed exactly once if it becomes readable while its
//! timestamp is within `OVERLAP_MS` of the newest one seen in its group;
//! one that lands later than that is missed. Ids older than the window are
//! forgotten, so memory stays bounded by the events of `OVERLAP_MS`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::{Event, merge};

/// How far back from the newest event of a group each read starts.
pub const OVERLAP_MS: i64 = 30_000;

/// Rounds start at least this far apart.
pub const MIN_ROUND_INTERVAL: Duration = Duration::from_secs(1);

/// How often `--follow` looks again for selected groups that were missing.
pub const RESCAN_INTERVAL: Duration = Duration::from_secs(30);

/// The state of a follow across rounds.
#[derive(Debug, Clone)]
pub struct Follow {
    since: i64,
    groups: BTreeMap<String, Seen>,
}

#[derive(Debug, Clone, Default)]
struct Seen {
    newest: Option<i64>,
    /// Event ids by timestamp, within `OVERLAP_MS` of `newest`.
    ids: HashMap<String, i64>,
}

impl Follow {
    /// A follow that reads from `since` (milliseconds since the epoch).
    pub fn new(since: i64) -> Follow {
        Follow {
            since,
            groups: BTreeMap::new(),
        }
    }

    /// Where the next read of `group` starts: `since`, or `OVERLAP_MS`
    /// before the newest event seen there, whichever is later.
    pub fn start(&self, group: &str) -> i64 {
        match self.groups.get(group).and_then(|s| s.newest) {
            Some(newest) => self.since.max(newest - OVERLAP_MS),
            None => self.since,
        }
    }

    /// The events of one read of `group` not seen before; remembers them.
    pub fn fresh(&mut self, group: &str, events: Vec<Event>) -> Vec<Event> {
        let seen = self.groups.entry(group.to_owned()).or_default();
        let mut fresh = Vec::new();
        for e in events {
            if seen.ids.contains_key(&e.id) {
                continue;
            }
            seen.ids.insert(e.id.clone(), e.timestamp);
            seen.newest = Some(seen.newest.map_or(e.timestamp, |n| n.max(e.timestamp)));
            fresh.push(e);
        }
        if let Some(newest) = seen.newest {
            seen.ids.retain(|_, t| *t >= newest - OVERLAP_MS);
        }
        fresh
    }

    /// One round: the new events of every group read, merged by time.
    pub fn round(&mut self, reads: impl IntoIterator<Item = (String, Vec<Event>)>) -> Vec<Event> {
        let fresh: Vec<Vec<Event>> = reads
            .into_iter()
            .map(|(group, events)| self.fresh(&group, events))
            .collect();
        merge(fresh)
    }

    /// How many event ids are remembered (for tests: memory stays bounded).
    pub fn remembered(&self) -> usize {
        self.groups.values().map(|s| s.ids.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SINCE: i64 = 1_000_000;

    fn ev(group: &str, timestamp: i64, id: &str) -> Event {
        Event {
            timestamp,
            group: group.to_owned(),
            stream: "2026/12/01/[$LATEST]abc".to_owned(),
            id: id.to_owned(),
            message: id.to_owned(),
        }
    }

    fn ids(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn starts_at_since_then_overlaps_the_newest() {
        let mut f = Follow::new(SINCE);
        assert_eq!(f.start("/a"), SINCE);
        f.fresh("/a", vec![ev("/a", SINCE + 5_000, "1")]);
        // Within OVERLAP_MS of since: never before since.
        assert_eq!(f.start("/a"), SINCE);
        f.fresh("/a", vec![ev("/a", SINCE + 100_000, "2")]);
        assert_eq!(f.start("/a"), SINCE + 100_000 - OVERLAP_MS);
        // Groups are apart.
        assert_eq!(f.start("/b"), SINCE);
    }

    #[test]
    fn the_overlap_is_deduplicated_and_late_events_within_it_print() {
        let mut f = Follow::new(SINCE);
        let first = f.round([(
            "/a".to_owned(),
            vec![ev("/a", SINCE + 10_000, "1"), ev("/a", SINCE + 60_000, "2")],
        )]);
        assert_eq!(ids(&first), ["1", "2"]);
        // The next read repeats "2" (inside the overlap) and brings "3",
        // which arrived late: 5 s older than the newest seen.
        let second = f.round([(
            "/a".to_owned(),
            vec![ev("/a", SINCE + 55_000, "3"), ev("/a", SINCE + 60_000, "2")],
        )]);
        assert_eq!(ids(&second), ["3"]);
        let third = f.round([(
            "/a".to_owned(),
            vec![
                ev("/a", SINCE + 55_000, "3"),
                ev("/a", SINCE + 60_000, "2"),
                ev("/a", SINCE + 61_000, "4"),
            ],
        )]);
        assert_eq!(ids(&third), ["4"]);
    }

    #[test]
    fn rounds_merge_groups_by_time() {
        let mut f = Follow::new(SINCE);
        let out = f.round([
            (
                "/b".to_owned(),
                vec![ev("/b", SINCE + 2, "b1"), ev("/b", SINCE + 1, "b0")],
            ),
            (
                "/a".to_owned(),
                vec![ev("/a", SINCE + 2, "a1"), ev("/a", SINCE + 3, "a2")],
            ),
        ]);
        assert_eq!(ids(&out), ["b0", "a1", "b1", "a2"]);
        // The same id in two groups is two events.
        let out = f.round([
            ("/a".to_owned(), vec![ev("/a", SINCE + 4, "x")]),
            ("/b".to_owned(), vec![ev("/b", SINCE + 4, "x")]),
        ]);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn ids_older_than_the_window_are_forgotten() {
        let mut f = Follow::new(SINCE);
        for i in 0..100 {
            f.fresh("/a", vec![ev("/a", SINCE + i * 1_000, &i.to_string())]);
        }
        // Newest at +99 s: ids from +69 s on are kept (31 of them).
        assert_eq!(f.remembered(), 31);
        assert_eq!(f.start("/a"), SINCE + 69_000);
    }
}

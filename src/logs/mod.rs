//! `wsdeploy logs`, the pure part: which log groups a command line selects
//! (`select`), where `--since` starts (`since`), and what `--follow` has
//! seen (`follow`). Nothing here calls AWS or prints: `aws::events` reads
//! the groups, `commands::logs` runs the command and `output::logs` shapes
//! its lines.
//!
//! This file holds what they share: a selected log group (`Source`), an
//! event as read (`Event`), the order events are printed in, and the
//! errors of a command line.

pub mod follow;
pub mod select;
pub mod since;

use std::cmp::Ordering;

/// The label of the stage's access log in the function column.
pub const ACCESS_LABEL: &str = "access";

/// One log group to read, and how its events are labelled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// The function column: a function's short name, or `access`.
    pub label: String,
    /// The CloudWatch Logs group (`/aws/lambda/<function name>`).
    pub group: String,
    /// What kind of group it is, for messages about a missing one.
    pub kind: SourceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceKind {
    /// A function of this app: its group is named `<app>-<stage>-...`.
    Function,
    /// A function the config references by ARN: not wsdeploy's.
    External,
    /// The stage's access log (the managed group, or a `destinationArn`).
    Access,
}

/// One log event as CloudWatch Logs returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the Unix epoch, as the writer stamped it.
    pub timestamp: i64,
    pub group: String,
    pub stream: String,
    /// Unique within a group; what `--follow` deduplicates by.
    pub id: String,
    pub message: String,
}

/// The order events are printed in: by time, then group, then id, so that
/// the same events always print the same way.
pub fn by_time(a: &Event, b: &Event) -> Ordering {
    (a.timestamp, &a.group, &a.id).cmp(&(b.timestamp, &b.group, &b.id))
}

/// Events of several groups, merged by time (`by_time`).
pub fn merge(groups: impl IntoIterator<Item = Vec<Event>>) -> Vec<Event> {
    let mut all: Vec<Event> = groups.into_iter().flatten().collect();
    all.sort_by(by_time);
    all
}

/// A command line `logs` cannot run: a code for programs, a message and a
/// hint for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// `UnknownFunction`, `NoAccessLog`, `InvalidSince`.
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp: i64, group: &str, id: &str) -> Event {
        Event {
            timestamp,
            group: group.to_owned(),
            stream: "s".to_owned(),
            id: id.to_owned(),
            message: format!("{group} {id}"),
        }
    }

    #[test]
    fn merges_by_time_then_group_then_id() {
        let a = vec![
            event(3, "/a", "1"),
            event(1, "/a", "2"),
            event(2, "/a", "3"),
        ];
        let b = vec![
            event(2, "/b", "0"),
            event(1, "/b", "9"),
            event(1, "/b", "8"),
        ];
        let merged = merge([a, b]);
        let order: Vec<(i64, &str, &str)> = merged
            .iter()
            .map(|e| (e.timestamp, e.group.as_str(), e.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (1, "/a", "2"),
                (1, "/b", "8"),
                (1, "/b", "9"),
                (2, "/a", "3"),
                (2, "/b", "0"),
                (3, "/a", "1"),
            ]
        );
    }
}

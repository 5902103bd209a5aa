//! The lines of `wsdeploy logs`.
//!
//! Text: `TIME FUNCTION MESSAGE`, the time in ISO 8601 UTC with
//! milliseconds, the function column padded to the longest selected name
//! (and coloured per function on a terminal), the message without its
//! trailing newline, and the further lines of a multi-line message
//! indented to the message column. JSON (`--output json`): one object per
//! event and line, with `timestamp`, `function`, `logGroup`, `logStream`
//! and `message`. Also the warning about a selected group that does not
//! exist (stderr).

use serde::Serialize;

use crate::logs::since::format_ms;
use crate::logs::{Event, Source, SourceKind};

/// Colours of the function column, given to the functions in turn.
const PALETTE: [&str; 10] = ["36", "35", "33", "32", "34", "96", "95", "93", "92", "94"];
const RESET: &str = "\x1b[0m";

/// How events are shaped into lines, for one set of functions.
#[derive(Debug, Clone)]
pub struct Lines {
    json: bool,
    width: usize,
    /// The functions' labels in colour order, when colour is on.
    colours: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonLine<'a> {
    timestamp: String,
    function: &'a str,
    log_group: &'a str,
    log_stream: &'a str,
    message: &'a str,
}

impl Lines {
    /// Lines for events labelled with `labels` (the selected functions, in
    /// a stable order: their colours follow it).
    pub fn new(labels: &[&str], json: bool, colour: bool) -> Lines {
        Lines {
            json,
            width: labels.iter().map(|l| l.chars().count()).max().unwrap_or(0),
            colours: (colour && !json).then(|| labels.iter().map(|l| (*l).to_owned()).collect()),
        }
    }

    /// One event, as one line (or, for a multi-line message in text, a
    /// few), each ending in a newline.
    pub fn render(&self, label: &str, event: &Event) -> String {
        let message = event.message.trim_end_matches(['\n', '\r']);
        if self.json {
            let line = JsonLine {
                timestamp: format_ms(event.timestamp),
                function: label,
                log_group: &event.group,
                log_stream: &event.stream,
                message,
            };
            let mut text = serde_json::to_string(&line).unwrap_or_default();
            text.push('\n');
            return text;
        }
        let time = format_ms(event.timestamp);
        let pad = " ".repeat(self.width.saturating_sub(label.chars().count()));
        let name = match self.colour_of(label) {
            Some(c) => format!("\x1b[{c}m{label}{RESET}{pad}"),
            None => format!("{label}{pad}"),
        };
        let indent = " ".repeat(time.len() + 1 + self.width + 1);
        let mut out = String::new();
        for (i, line) in message.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if i == 0 {
                out.push_str(&format!("{time} {name} {line}"));
            } else {
                out.push_str(&format!("{indent}{line}"));
            }
            out.push('\n');
        }
        out
    }

    fn colour_of(&self, label: &str) -> Option<&'static str> {
        let labels = self.colours.as_ref()?;
        let i = labels.iter().position(|l| l == label).unwrap_or(0);
        Some(PALETTE[i % PALETTE.len()])
    }
}

/// The warning about a selected log group that does not exist (`managed`:
/// an access-log group that wsdeploy makes).
pub fn missing(source: &Source, managed: bool) -> String {
    let (what, why) = match source.kind {
        SourceKind::Function => (
            format!("function `{}`", source.label),
            ": the function has not logged yet, or the group was deleted; `wsdeploy deploy` creates it again",
        ),
        SourceKind::External => (format!("function `{}`, not wsdeploy's", source.label), ""),
        SourceKind::Access if managed => (
            "the access log".to_owned(),
            ": `wsdeploy deploy` creates it again",
        ),
        SourceKind::Access => (
            "the access log, named by `api.accessLog.destinationArn`".to_owned(),
            "",
        ),
    };
    format!(
        "warning: log group `{}` ({what}) does not exist{why}\n",
        source.group
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T10:00:00Z.
    const T: i64 = 1_796_119_200_000;

    fn event(message: &str) -> Event {
        Event {
            timestamp: T + 7,
            group: "/aws/lambda/chat-dev-connect".to_owned(),
            stream: "2026/12/01/[$LATEST]abc".to_owned(),
            id: "1".to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn text_pads_the_function_and_drops_the_trailing_newline() {
        let lines = Lines::new(&["connect", "sendMessage"], false, false);
        assert_eq!(
            lines.render("connect", &event("hello\n")),
            "2026-12-01T10:00:00.007Z connect     hello\n"
        );
        assert_eq!(
            lines.render("sendMessage", &event("hi\r\n")),
            "2026-12-01T10:00:00.007Z sendMessage hi\n"
        );
    }

    #[test]
    fn continuation_lines_start_at_the_message_column() {
        let lines = Lines::new(&["ws", "connect"], false, false);
        let text = lines.render("ws", &event("Error: boom\n    at f (a.js:1)\n    at g\n"));
        // The message column: 24 for the time, the padded name, two spaces.
        let indent = " ".repeat(24 + 1 + "connect".len() + 1);
        assert_eq!(
            text,
            format!(
                "2026-12-01T10:00:00.007Z ws      Error: boom\n{indent}    at f (a.js:1)\n{indent}    at g\n"
            )
        );
        let column = "2026-12-01T10:00:00.007Z ws      ".len();
        let second = text.lines().nth(1).unwrap();
        assert_eq!(second.len() - second.trim_start().len(), column + 4);
    }

    #[test]
    fn colour_per_function_on_a_terminal() {
        let lines = Lines::new(&["a", "bb"], false, true);
        assert_eq!(
            lines.render("a", &event("x")),
            "2026-12-01T10:00:00.007Z \x1b[36ma\x1b[0m  x\n"
        );
        assert_eq!(
            lines.render("bb", &event("x")),
            "2026-12-01T10:00:00.007Z \x1b[35mbb\x1b[0m x\n"
        );
        // No colour in JSON, whatever the terminal.
        let json = Lines::new(&["a"], true, true).render("a", &event("x"));
        assert!(!json.contains('\x1b'));
    }

    #[test]
    fn a_missing_group_is_one_warning_line() {
        let source = |kind, label: &str, group: &str| Source {
            label: label.to_owned(),
            group: group.to_owned(),
            kind,
        };
        let f = source(
            SourceKind::Function,
            "connect",
            "/aws/lambda/chat-dev-connect",
        );
        assert_eq!(
            missing(&f, false),
            "warning: log group `/aws/lambda/chat-dev-connect` (function `connect`) does not exist: \
             the function has not logged yet, or the group was deleted; `wsdeploy deploy` creates it again\n"
        );
        let a = source(SourceKind::Access, "access", "/aws/apigateway/chat-dev");
        assert!(
            missing(&a, true)
                .ends_with("(the access log) does not exist: `wsdeploy deploy` creates it again\n")
        );
        assert!(missing(&a, false).contains("destinationArn"));
        let x = source(SourceKind::External, "existing", "/aws/lambda/existing");
        assert!(
            missing(&x, false).contains("(function `existing`, not wsdeploy's) does not exist\n")
        );
        for text in [missing(&f, false), missing(&a, true), missing(&x, false)] {
            assert_eq!(text.matches('\n').count(), 1);
        }
    }

    #[test]
    fn json_is_one_object_per_line() {
        let lines = Lines::new(&["connect"], true, false);
        let text = lines.render("connect", &event("two\nlines\n"));
        assert!(text.ends_with('\n'));
        assert_eq!(text.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "timestamp": "2026-12-01T10:00:00.007Z",
                "function": "connect",
                "logGroup": "/aws/lambda/chat-dev-connect",
                "logStream": "2026/12/01/[$LATEST]abc",
                "message": "two\nlines",
            })
        );
        assert!(text.starts_with("{\"timestamp\":"));
    }
}

//! Rendering diagnostics for people and for programs.
//!
//! Three forms, chosen by the caller (see `output`):
//! - `Style::Rich`: on a terminal, with the source line and a caret under
//!   the offending text, coloured unless NO_COLOR is set;
//! - `Style::Plain`: one `file:line:column: error: ...` line per problem
//!   (plus an indented `hint:` line), for logs and CI;
//! - JSON: a list of objects with the same fields.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Rich { color: bool },
    Plain,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn location(file: &Path, d: &Diagnostic) -> String {
    match d.pos {
        Some(p) if p.line > 0 => format!("{}:{}:{}", file.display(), p.line, p.column),
        _ => file.display().to_string(),
    }
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Renders all diagnostics in the given style.
pub fn diagnostics(
    file: &Path,
    source: Option<&str>,
    diags: &[Diagnostic],
    style: Style,
) -> String {
    let mut out = String::new();
    for d in diags {
        match style {
            Style::Plain => plain(&mut out, file, d),
            Style::Rich { color } => rich(&mut out, file, source, d, &Paint { on: color }),
        }
    }
    out
}

fn plain(out: &mut String, file: &Path, d: &Diagnostic) {
    let at = if d.path.is_empty() {
        String::new()
    } else {
        format!(" (at `{}`)", d.path)
    };
    let _ = writeln!(
        out,
        "{}: {}: {}{at}",
        location(file, d),
        label(d.severity),
        d.message
    );
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "  hint: {h}");
    }
}

fn rich(out: &mut String, file: &Path, source: Option<&str>, d: &Diagnostic, paint: &Paint) {
    let (title_code, caret_code) = match d.severity {
        Severity::Error => ("1;31", "1;31"),
        Severity::Warning => ("1;33", "1;33"),
        Severity::Note => ("1;36", "1;36"),
    };
    let _ = writeln!(
        out,
        "{}: {}",
        paint.wrap(title_code, label(d.severity)),
        paint.wrap("1", &d.message)
    );
    let line_text = d.pos.filter(|p| p.line > 0).and_then(|p| {
        source
            .and_then(|s| s.lines().nth(p.line as usize - 1))
            .map(|l| (p, l))
    });
    let gutter = d.pos.map_or(1, |p| p.line.to_string().len());
    let pad = " ".repeat(gutter);
    let _ = writeln!(
        out,
        "{pad}{} {}",
        paint.wrap("1;34", "-->"),
        location(file, d)
    );
    if let Some((p, text)) = line_text {
        let shown: String = text.chars().take(200).collect();
        let _ = writeln!(out, "{pad} {}", paint.wrap("1;34", "|"));
        let _ = writeln!(
            out,
            "{} {} {}",
            paint.wrap("1;34", &p.line.to_string()),
            paint.wrap("1;34", "|"),
            shown
        );
        let col = (p.column.max(1) - 1) as usize;
        let width = text.chars().count().saturating_sub(col).max(1);
        let len = (p.len as usize).clamp(1, width);
        let spaces: String = text
            .chars()
            .take(col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(
            out,
            "{pad} {} {spaces}{}",
            paint.wrap("1;34", "|"),
            paint.wrap(caret_code, &"^".repeat(len))
        );
    }
    if !d.path.is_empty() {
        let _ = writeln!(out, "{pad} {} at: {}", paint.wrap("1;34", "="), d.path);
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(
            out,
            "{pad} {} {}: {h}",
            paint.wrap("1;34", "="),
            paint.wrap("1;36", "hint")
        );
    }
    out.push('\n');
}

/// One diagnostic as JSON.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: Severity,
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub path: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

pub fn json_diagnostics<'a>(file: &Path, diags: &'a [Diagnostic]) -> Vec<JsonDiagnostic<'a>> {
    diags
        .iter()
        .map(|d| JsonDiagnostic {
            severity: d.severity,
            file: file.display().to_string(),
            line: d.pos.filter(|p| p.line > 0).map(|p| p.line),
            column: d.pos.filter(|p| p.line > 0).map(|p| p.column),
            path: &d.path,
            message: &d.message,
            hint: d.hint.as_deref(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::node::Pos;

    #[test]
    fn rich_points_at_the_column() {
        let src = "app: chat\nroutes:\n  $connnect: x.y\n";
        let d = Diagnostic::error(
            Some(Pos {
                line: 3,
                column: 3,
                len: 9,
            }),
            "routes.$connnect",
            "bad key",
        )
        .with_hint("did you mean `$connect`?");
        let text = diagnostics(
            Path::new("w.yml"),
            Some(src),
            &[d],
            Style::Rich { color: false },
        );
        assert!(text.contains("--> w.yml:3:3"), "{text}");
        assert!(text.contains("3 |   $connnect: x.y"), "{text}");
        assert!(text.contains("  |   ^^^^^^^^^\n"), "{text}");
        assert!(text.contains("= hint: did you mean `$connect`?"), "{text}");
    }

    #[test]
    fn plain_is_one_line_plus_hint() {
        let d = Diagnostic::error(
            Some(Pos {
                line: 2,
                column: 5,
                len: 1,
            }),
            "a.b",
            "oops",
        )
        .with_hint("fix it");
        let text = diagnostics(Path::new("w.yml"), None, &[d], Style::Plain);
        assert_eq!(text, "w.yml:2:5: error: oops (at `a.b`)\n  hint: fix it\n");
    }
}

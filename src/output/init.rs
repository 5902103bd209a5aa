//! What `wsdeploy init` says once the app is written: the files, then the
//! next steps, as text for people or one JSON document.

use std::fmt::Write as _;

use serde_json::json;

use crate::init::{Scaffold, Step};

/// The files written and the steps to take, for people.
pub fn text(scaffold: &Scaffold, steps: &[Step]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Created app `{}` ({} template) in `{}`:",
        scaffold.app,
        scaffold.template.name(),
        scaffold.dir.display()
    );
    for f in &scaffold.files {
        let _ = writeln!(s, "  {}", f.path);
    }
    let _ = writeln!(s, "\nNext steps:");
    let width = steps.iter().map(|st| st.command.len()).max().unwrap_or(0);
    for st in steps {
        let _ = writeln!(s, "  {:width$}  # {}", st.command, st.note);
    }
    let _ = writeln!(
        s,
        "\n`wsdeploy schema > wsdeploy.schema.json` refreshes the schema your editor reads after an upgrade."
    );
    s
}

/// The same as one JSON document.
pub fn json(scaffold: &Scaffold, steps: &[Step]) -> serde_json::Value {
    json!({
        "app": scaffold.app,
        "template": scaffold.template.name(),
        "dir": scaffold.dir.display().to_string(),
        "files": scaffold.files.iter().map(|f| f.path).collect::<Vec<_>>(),
        "nextSteps": steps,
    })
}

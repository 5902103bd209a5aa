//! What to do once `init` has written the app: the commands to run, in
//! order, each with a note saying what it does.

use std::path::Path;

use super::Scaffold;

/// Where `wsdeploy dev` serves by default (`--port 3001`, stage `dev`).
const DEV_URL: &str = "ws://127.0.0.1:3001/dev";

/// One step: a command line and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub command: String,
    pub note: String,
}

/// The steps after `init`, from the directory it ran in.
pub fn steps(scaffold: &Scaffold) -> Vec<Step> {
    let step = |command: String, note: &str| Step {
        command,
        note: note.to_owned(),
    };
    let mut out = Vec::new();
    if scaffold.dir != Path::new(".") && scaffold.dir != Path::new("") {
        out.push(step(
            format!("cd {}", shell_word(&scaffold.dir.to_string_lossy())),
            "the new app's directory",
        ));
    }
    if scaffold.template.uses_npm() {
        out.push(step(
            "npm install".to_owned(),
            "esbuild, which bundles the handlers",
        ));
    }
    out.push(step(
        "wsdeploy dev".to_owned(),
        &format!("serve it here at {DEV_URL}; Ctrl-C stops it"),
    ));
    out.push(step(
        format!("websocat {DEV_URL}"),
        "in another terminal (or `npx wscat -c` with the URL); send {\"action\":\"echo\",\"message\":\"hi\"}",
    ));
    out.push(step(
        "wsdeploy deploy".to_owned(),
        "to AWS, with your AWS credentials; prints the wss:// URL",
    ));
    out
}

/// `text` as one word for a POSIX shell: as it is when that is safe, else
/// in single quotes.
fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+,:@%".contains(c));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Template;

    fn scaffold(dir: &str, template: Template) -> Scaffold {
        Scaffold {
            dir: dir.into(),
            app: "x".into(),
            template,
            files: Vec::new(),
        }
    }

    #[test]
    fn steps_follow_the_directory_and_the_template() {
        let commands =
            |s: &Scaffold| -> Vec<String> { steps(s).into_iter().map(|s| s.command).collect() };
        assert_eq!(
            commands(&scaffold("my app", Template::Typescript)),
            [
                "cd 'my app'",
                "npm install",
                "wsdeploy dev",
                "websocat ws://127.0.0.1:3001/dev",
                "wsdeploy deploy"
            ]
        );
        let python = commands(&scaffold(".", Template::Python));
        assert_eq!(python[0], "wsdeploy dev");
        assert!(!python.iter().any(|c| c.starts_with("npm")));
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("a/b-c"), "a/b-c");
    }
}

//! `${ssm:NAME}` and `${ssm:NAME, default}`: values from SSM Parameter
//! Store.
//!
//! The config layer never calls AWS. Loading offline (`Ssm::Offline`, what
//! `validate`, `package`, `remove`, `info` and `unlock` do) puts a
//! placeholder in place of each reference and records it (`SsmRef`);
//! whatever validation finds wrong at a node holding one is deferred (see
//! `Diagnostics::pending`), since it concerns the placeholder. The commands
//! that need the values (`diff`, `deploy`, `dev`) read the names recorded,
//! then load again with `Ssm::Values`: every check then runs on the real
//! values, and a name that was not found is an error naming it.
//!
//! Every value read is a secret: it joins `Diagnostics::secrets`, the node
//! it lands in is `interpolated` (never quoted), and the commands register
//! it with the output layer, which masks it everywhere.

use std::collections::BTreeMap;

use super::node::Pos;
use crate::diagnostic::Diagnostic;

/// Parameter values by name, as read from Parameter Store (SecureStrings
/// decrypted). A name that is not a key was not found.
pub type SsmValues = BTreeMap<String, String>;

/// What `${ssm:...}` becomes while loading.
#[derive(Debug, Clone, Copy, Default)]
pub enum Ssm<'a> {
    /// Nothing is read: a placeholder (`ssm:NAME`) stands for the value and
    /// the checks of the node that holds it wait for the real one.
    #[default]
    Offline,
    /// The values read from Parameter Store.
    Values(&'a SsmValues),
    /// Not allowed here: the keys that identify the deployment.
    Refused,
}

/// One `${ssm:...}` in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsmRef {
    /// The parameter name, `${app}`, `${stage}` and `${region}` in it
    /// replaced.
    pub name: String,
    pub default: Option<String>,
    /// The string value that holds it.
    pub pos: Pos,
    pub path: String,
}

/// The longest parameter name: SSM's 2,048 characters count the 1,037 of
/// an ARN in front of it.
pub const MAX_NAME: usize = 1011;
/// The deepest hierarchy SSM allows.
pub const MAX_LEVELS: usize = 15;

/// The placeholder for a value not read yet.
pub fn placeholder(name: &str) -> String {
    format!("ssm:{name}")
}

/// The distinct names of `refs`, sorted.
pub fn names(refs: &[SsmRef]) -> Vec<String> {
    let mut names: Vec<String> = refs.iter().map(|r| r.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// One note per parameter, at its first use: `validate` tells when it is
/// read.
pub fn notes(refs: &[SsmRef]) -> Vec<Diagnostic> {
    let mut seen = std::collections::BTreeSet::new();
    refs.iter()
        .filter(|r| seen.insert(r.name.as_str()))
        .map(|r| {
            Diagnostic::note(
                Some(r.pos),
                r.path.clone(),
                format!(
                    "`{}` is read from SSM Parameter Store when `diff`, `deploy` or `dev` runs",
                    r.name
                ),
            )
            .with_hint("its value is checked then, and never printed; `validate` does not call AWS")
        })
        .collect()
}

/// A name as SSM accepts it: `/path/to/name` or `name`, of letters,
/// digits, `_`, `.`, `-` and `/`.
pub fn check_name(name: &str) -> Result<(), Diagnostic> {
    let err =
        |message: String, hint: &str| Err(Diagnostic::error(None, "", message).with_hint(hint));
    if name.is_empty() {
        return err(
            "`${ssm:...}` names no parameter".to_owned(),
            "write `${ssm:/path/to/name}` or `${ssm:/path/to/name, default}`",
        );
    }
    let not_a_name = format!("`{name}` is not an SSM parameter name");
    if name.contains(':') {
        return err(
            not_a_name,
            "write the parameter's name: ARNs, versions and labels (`name:3`) are not supported",
        );
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
    {
        return err(
            not_a_name,
            "names are letters, digits, `_`, `.`, `-` and `/`",
        );
    }
    if name.contains('/') && !name.starts_with('/') {
        return err(not_a_name, "a name in a hierarchy starts with `/`");
    }
    if name.ends_with('/') || name.contains("//") {
        return err(
            not_a_name,
            "each level of a name has at least one character",
        );
    }
    if name.len() > MAX_NAME {
        return err(
            format!("the SSM parameter name is {} characters long", name.len()),
            &format!("SSM allows at most {MAX_NAME}"),
        );
    }
    if name.matches('/').count() > MAX_LEVELS {
        return err(
            not_a_name,
            &format!("SSM allows at most {MAX_LEVELS} levels of hierarchy"),
        );
    }
    Ok(())
}

/// A key path whose value decides what a function's package holds: a
/// function reference (a handler string), `handler`, `code`, `include`,
/// `exclude`, `runtime`, `architecture` or `build`. `package` builds
/// offline, so none of these may come from SSM there.
pub fn shapes_package(path: &str) -> bool {
    let keys: Vec<&str> = path
        .split('.')
        .map(|k| k.split('[').next().unwrap_or(k))
        .collect();
    let last = keys.last().copied().unwrap_or_default();
    matches!(
        last,
        "handler" | "code" | "include" | "exclude" | "runtime" | "architecture" | "function"
    ) || keys.contains(&"build")
        || (keys.len() == 2 && matches!(keys[0], "routes" | "functions"))
}

/// The error for `${ssm:...}` where `package` needs the value.
pub fn offline_package(r: &SsmRef) -> Diagnostic {
    Diagnostic::error(
        Some(r.pos),
        r.path.clone(),
        format!("`package` builds offline and does not read `{}` from SSM", r.name),
    )
    .with_hint("what decides a package (handler, code, include, exclude, runtime, architecture, build) must be in the file or come from `${env:...}`")
}

/// The error for a parameter that was not found and has no default.
pub fn missing(name: &str, region: Option<&str>) -> Diagnostic {
    let region = region.map(|r| format!(" in {r}")).unwrap_or_default();
    Diagnostic::error(
        None,
        "",
        format!("SSM parameter `{name}` does not exist{region}"),
    )
    .with_hint(format!(
        "create it (`aws ssm put-parameter --name {name} ...`), check the region, or give a default: `${{ssm:{name}, <default>}}`"
    ))
}

/// The error for `${ssm:...}` in a key that identifies the deployment.
pub fn refused(path: &str) -> Diagnostic {
    let key = path.split(['.', '[']).next().unwrap_or(path);
    Diagnostic::error(
        None,
        "",
        format!("`{key}` cannot come from SSM Parameter Store"),
    )
    .with_hint(
        "`app`, `stage`, `region` and `domain` identify the deployment, and `remove`, `info` and `unlock` read them without calling SSM: write them in the file or use `${env:...}`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_ssm_accepts_them() {
        for ok in [
            "/chat/prod/db-password",
            "plain",
            "with_underscore.and-dash",
            "/a",
            "/aws/service/global-infrastructure/regions",
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        let deep = "/a".repeat(MAX_LEVELS + 1);
        let long = format!("/{}", "x".repeat(MAX_NAME));
        for (bad, hint) in [
            ("", "write `${ssm:"),
            ("a b", "letters, digits"),
            ("/a/b:3", "versions and labels"),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/x", "ARNs"),
            ("a/b", "starts with `/`"),
            ("/a//b", "at least one character"),
            ("/a/", "at least one character"),
            ("/ä", "letters, digits"),
            (deep.as_str(), "levels"),
            (long.as_str(), "at most 1011"),
        ] {
            let d = check_name(bad).expect_err(bad);
            assert!(
                d.hint.as_deref().unwrap_or_default().contains(hint),
                "{bad}: {d:?}"
            );
        }
    }

    #[test]
    fn what_shapes_a_package() {
        for yes in [
            "routes.$default",
            "routes.$default.function",
            "routes.$default.function.handler",
            "functions.ws",
            "functions.ws.include[0]",
            "defaults.function.runtime",
            "defaults.function.build.bundle",
            "authorizer.function.code",
        ] {
            assert!(shapes_package(yes), "{yes}");
        }
        for no in [
            "routes.$default.function.environment.A",
            "routes.$default.returnResponse",
            "functions.ws.tags.team",
            "defaults.function.memorySize",
            "api.description",
        ] {
            assert!(!shapes_package(no), "{no}");
        }
    }

    #[test]
    fn one_note_per_parameter_at_its_first_use() {
        let at = |line| Pos {
            line,
            column: 1,
            len: 1,
        };
        let r = |name: &str, line| SsmRef {
            name: name.to_owned(),
            default: None,
            pos: at(line),
            path: format!("tags.t{line}"),
        };
        let refs = [r("/b", 3), r("/a", 4), r("/b", 5)];
        let notes = notes(&refs);
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].pos, Some(at(3)));
        assert!(notes[0].message.contains("`/b` is read from SSM"));
        assert_eq!(notes[0].severity, crate::diagnostic::Severity::Note);
        assert_eq!(names(&refs), ["/a", "/b"]);
    }

    /// Loading with `${ssm:...}`: `fixtures/minimal` with `extra` in its
    /// function.
    mod loading {
        use std::path::{Path, PathBuf};

        use super::super::{Ssm, SsmRef, SsmValues};
        use crate::config::model::Config;
        use crate::config::{LoadOptions, load_text_ssm};
        use crate::diagnostic::{Diagnostics, Severity};

        fn file() -> PathBuf {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/minimal/wsdeploy.yml")
        }

        fn load(text: &str, ssm: Ssm) -> (Option<Config>, Diagnostics, Vec<SsmRef>) {
            let opts = LoadOptions {
                stage: None,
                region: None,
                env_region: Some("us-east-1"),
                env: &|_| None,
            };
            let mut diags = Diagnostics::default();
            let mut refs = Vec::new();
            let config = load_text_ssm(&file(), text, &opts, ssm, &mut diags, &mut refs);
            (config.filter(|_| !diags.has_errors()), diags, refs)
        }

        const APP: &str = "app: chat
routes:
  $default:
    function:
      handler: src/default.handler
      memorySize: ${ssm:/chat/memory}
      layers: [\"${ssm:/chat/layer}\"]
      environment:
        TOKEN: ${ssm:/chat/token}
      tags:
        team: ${ssm:/chat/team, platform}
";

        #[test]
        fn offline_the_checks_of_pending_values_wait() {
            let (config, diags, refs) = load(APP, Ssm::Offline);
            assert_eq!(diags.items, [], "{:?}", diags.deferred);
            assert!(
                diags.deferred.len() >= 2,
                "the number and the ARN: {:?}",
                diags.deferred
            );
            let f = &config.expect("valid offline").functions["default"];
            assert_eq!(f.tags["team"], "ssm:/chat/team");
            assert_eq!(f.environment["TOKEN"], "ssm:/chat/token");
            let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(
                names,
                ["/chat/memory", "/chat/layer", "/chat/token", "/chat/team"]
            );
            assert!(refs.iter().all(|r| r.pos.line > 1));
        }

        #[test]
        fn with_the_values_every_check_runs() {
            let layer = "arn:aws:lambda:us-east-1:123456789012:layer:deps:3";
            let mut values = SsmValues::from([
                ("/chat/memory".to_owned(), "512".to_owned()),
                ("/chat/layer".to_owned(), layer.to_owned()),
                ("/chat/token".to_owned(), "t0ken-value".to_owned()),
            ]);
            let (config, diags, _) = load(APP, Ssm::Values(&values));
            assert_eq!(diags.items, []);
            let f = &config.expect("valid").functions["default"];
            assert_eq!(f.memory_size, 512);
            assert_eq!(f.environment["TOKEN"], "t0ken-value");
            assert_eq!(f.tags["team"], "platform", "the default");
            // A bad value is an error at its line that does not quote it.
            values.insert("/chat/memory".to_owned(), "9999999".to_owned());
            values.remove("/chat/token");
            let (config, mut diags, _) = load(APP, Ssm::Values(&values));
            diags.sort();
            assert!(config.is_none());
            let lines: Vec<u32> = diags
                .items
                .iter()
                .filter_map(|d| d.pos)
                .map(|p| p.line)
                .collect();
            assert_eq!(lines, [6, 9], "{:?}", diags.items);
            assert!(diags.items[0].message.contains("out of range"));
            assert!(
                diags.items[1]
                    .message
                    .contains("`/chat/token` does not exist")
            );
            for d in &diags.items {
                assert!(!d.message.contains("9999999"), "{d:?}");
            }
        }

        #[test]
        fn load_reading_asks_once_for_each_name_it_has_no_value_for() {
            let dir =
                std::env::temp_dir().join(format!("wsdeploy-ssm-unit-{}", std::process::id()));
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(
                dir.join("src/default.mjs"),
                "export const handler = async () => ({});\n",
            )
            .unwrap();
            let path = dir.join("wsdeploy.yml");
            std::fs::write(&path, APP).unwrap();
            let opts = LoadOptions {
                stage: None,
                region: None,
                env_region: Some("us-east-1"),
                env: &|_| None,
            };
            let mut asked: Vec<Vec<String>> = Vec::new();
            let mut known = SsmValues::new();
            let mut read = |names: &[String], found: &[(&str, &str)]| {
                asked.push(names.to_vec());
                Ok::<_, String>(
                    found
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<SsmValues>(),
                )
            };
            let found = [
                ("/chat/memory", "256"),
                (
                    "/chat/layer",
                    "arn:aws:lambda:us-east-1:123456789012:layer:deps:3",
                ),
            ];
            let loaded = crate::config::load_reading(
                &path,
                &opts,
                &mut known,
                |c: &Config, n: &[String]| {
                    assert_eq!(c.app, "chat");
                    read(n, &found)
                },
            )
            .unwrap();
            assert!(loaded.config.is_none(), "/chat/token does not exist");
            assert_eq!(known.len(), 2);
            // Again: only the name not found is asked for.
            let loaded = crate::config::load_reading(
                &path,
                &opts,
                &mut known,
                |_: &Config, n: &[String]| read(n, &[("/chat/token", "t0ken-value")]),
            )
            .unwrap();
            assert!(loaded.config.is_some(), "{:?}", loaded.diagnostics.items);
            assert_eq!(
                asked,
                [
                    vec!["/chat/layer", "/chat/memory", "/chat/team", "/chat/token"],
                    vec!["/chat/team", "/chat/token"],
                ]
            );
            // A failed read ends the load with its error.
            let failed = crate::config::load_reading(
                &path,
                &opts,
                &mut SsmValues::new(),
                |_: &Config, _: &[String]| Err::<SsmValues, _>("denied"),
            );
            assert_eq!(failed.err(), Some("denied"));
            let _ = std::fs::remove_dir_all(&dir);
        }

        #[test]
        fn the_deployment_is_never_named_from_ssm() {
            for (text, key) in [
                ("app: ${ssm:/chat/app}\n", "app"),
                ("app: chat\nstage: ${ssm:/chat/stage}\n", "stage"),
                ("app: chat\nregion: ${ssm:/chat/region}\n", "region"),
                (
                    "app: chat\ndomain:\n  name: ws.example.com\n  certificate: ${ssm:/chat/cert}\n",
                    "domain",
                ),
            ] {
                let text = format!("{text}routes:\n  $default: src/default.handler\n");
                let (config, diags, refs) = load(&text, Ssm::Offline);
                assert!(config.is_none(), "{text}");
                assert!(refs.is_empty(), "{text}");
                let d = &diags.items[0];
                assert_eq!(d.severity, Severity::Error);
                assert!(
                    d.message.contains(&format!("`{key}` cannot come from SSM")),
                    "{text}: {d:?}"
                );
                let identity = crate::config::load_identity_text(
                    &file(),
                    &text,
                    &LoadOptions {
                        stage: None,
                        region: None,
                        env_region: Some("us-east-1"),
                        env: &|_| None,
                    },
                    &mut Diagnostics::default(),
                );
                assert!(identity.is_none(), "{text}");
            }
        }
    }
}

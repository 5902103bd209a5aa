//! Which log groups `wsdeploy logs [FUNCTION or ROUTE ...] [--access]`
//! reads, from the config alone.
//!
//! A name is a function's short name (a `functions:` key, or an implicit
//! one such as `connect` or `authorizer`), its Lambda name
//! (`<app>-<stage>-<name>`), or a route key meaning that route's function.
//! No name means every function of the app; a function the config
//! references by ARN (not wsdeploy's) is read only when its route is named.
//! `--access` adds the stage's access log, and alone reads only that.

use std::collections::BTreeMap;

use super::{ACCESS_LABEL, Error, Source, SourceKind};
use crate::config::model::{Config, LogDestination};
use crate::diagnostic::did_you_mean;
use crate::names;

/// The groups to read, sorted by label, each once.
pub fn select(config: &Config, names: &[String], access: bool) -> Result<Vec<Source>, Error> {
    let mut chosen: BTreeMap<String, Source> = BTreeMap::new();
    if names.is_empty() && !access {
        for f in config.functions.values() {
            add(&mut chosen, own(&f.name, &f.function_name));
        }
    }
    for name in names {
        add(&mut chosen, resolve(config, name)?);
    }
    if access {
        add(&mut chosen, access_source(config)?);
    }
    let mut sources: Vec<Source> = chosen.into_values().collect();
    sources.sort();
    Ok(sources)
}

fn add(chosen: &mut BTreeMap<String, Source>, source: Source) {
    chosen.entry(source.group.clone()).or_insert(source);
}

fn own(short: &str, function_name: &str) -> Source {
    Source {
        label: short.to_owned(),
        group: names::function_log_group(function_name),
        kind: SourceKind::Function,
    }
}

/// One name of the command line.
fn resolve(config: &Config, name: &str) -> Result<Source, Error> {
    if let Some(f) = config.functions.get(name) {
        return Ok(own(&f.name, &f.function_name));
    }
    if let Some(f) = config.functions.values().find(|f| f.function_name == name) {
        return Ok(own(&f.name, &f.function_name));
    }
    if let Some(route) = config.routes.get(name) {
        if let Some(f) = config.functions.get(&route.function) {
            return Ok(own(&f.name, &f.function_name));
        }
        if let Some(function) = external_function(&route.function) {
            return Ok(Source {
                label: function.to_owned(),
                group: names::function_log_group(function),
                kind: SourceKind::External,
            });
        }
    }
    Err(unknown(config, name))
}

/// The function name in a Lambda function ARN
/// (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
fn external_function(reference: &str) -> Option<&str> {
    let parts: Vec<&str> = reference.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] if !name.is_empty() => Some(name),
        _ => None,
    }
}

fn unknown(config: &Config, name: &str) -> Error {
    let functions: Vec<&str> = config.functions.keys().map(String::as_str).collect();
    let routes: Vec<&str> = config.routes.keys().map(String::as_str).collect();
    let candidates = functions
        .iter()
        .chain(&routes)
        .copied()
        .chain(config.functions.values().map(|f| f.function_name.as_str()));
    let guess = did_you_mean(name, candidates)
        .map(|g| format!("did you mean `{g}`? "))
        .unwrap_or_default();
    Error {
        code: "UnknownFunction",
        message: format!(
            "`{name}` is neither a function nor a route of app `{}`",
            config.app
        ),
        hint: Some(format!(
            "{guess}functions: {}; routes: {}",
            functions.join(", "),
            routes.join(", ")
        )),
    }
}

/// The stage's access log: the managed group, or the one `destinationArn`
/// names.
fn access_source(config: &Config) -> Result<Source, Error> {
    let group = match config.api.access_log.as_ref().map(|a| &a.destination) {
        Some(LogDestination::Managed { group_name, .. }) => group_name.clone(),
        Some(LogDestination::Existing { arn }) => group_of_arn(arn),
        None => {
            return Err(Error {
                code: "NoAccessLog",
                message: format!(
                    "app `{}` stage `{}` has no access log",
                    config.app, config.stage
                ),
                hint: Some("set `api.accessLog` in the config and deploy".to_owned()),
            });
        }
    };
    Ok(Source {
        label: ACCESS_LABEL.to_owned(),
        group,
        kind: SourceKind::Access,
    })
}

/// The group name in a log group ARN
/// (`arn:aws:logs:<region>:<account>:log-group:<name>[:*]`).
fn group_of_arn(arn: &str) -> String {
    let name = arn.split_once(":log-group:").map_or(arn, |(_, name)| name);
    name.strip_suffix(":*").unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, LoadOptions};

    /// A config from YAML text, through the real loader (handlers need not
    /// exist for the identity, so they are created in a scratch directory).
    fn config(yaml: &str) -> Config {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("wsdeploy-logs-select-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        for h in ["connect", "default", "send", "ws", "auth"] {
            std::fs::write(
                dir.join(format!("src/{h}.mjs")),
                "export const handler = 1;",
            )
            .unwrap();
        }
        let file = dir.join("wsdeploy.yml");
        std::fs::write(&file, yaml).unwrap();
        let env = |_: &str| None;
        let loaded = config::load(
            &file,
            &LoadOptions {
                stage: None,
                region: Some("us-east-1"),
                env_region: None,
                env: &env,
            },
        );
        loaded
            .config
            .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
    }

    const APP: &str = "app: chat
routes:
  $connect: src/connect.handler
  $default: src/default.handler
  sendMessage:
    function: ws
functions:
  ws:
    handler: src/ws.handler
authorizer:
  type: lambda
  function: src/auth.handler
  identitySource: [route.request.querystring.token]
";

    fn labels(sources: &[Source]) -> Vec<(&str, &str)> {
        sources
            .iter()
            .map(|s| (s.label.as_str(), s.group.as_str()))
            .collect()
    }

    #[test]
    fn no_name_is_every_function_of_the_app() {
        let c = config(APP);
        let all = select(&c, &[], false).unwrap();
        assert_eq!(
            labels(&all),
            [
                ("authorizer", "/aws/lambda/chat-dev-authorizer"),
                ("connect", "/aws/lambda/chat-dev-connect"),
                ("default", "/aws/lambda/chat-dev-default"),
                ("ws", "/aws/lambda/chat-dev-ws"),
            ]
        );
        assert!(all.iter().all(|s| s.kind == SourceKind::Function));
    }

    #[test]
    fn short_name_full_name_and_route_key() {
        let c = config(APP);
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let one = select(&c, &names(&["connect"]), false).unwrap();
        assert_eq!(labels(&one), [("connect", "/aws/lambda/chat-dev-connect")]);
        let full = select(&c, &names(&["chat-dev-ws"]), false).unwrap();
        assert_eq!(labels(&full), [("ws", "/aws/lambda/chat-dev-ws")]);
        let route = select(&c, &names(&["sendMessage"]), false).unwrap();
        assert_eq!(labels(&route), [("ws", "/aws/lambda/chat-dev-ws")]);
        // The same function named three ways is read once.
        let same = select(
            &c,
            &names(&["$connect", "connect", "chat-dev-connect"]),
            false,
        )
        .unwrap();
        assert_eq!(labels(&same), [("connect", "/aws/lambda/chat-dev-connect")]);
        let two = select(&c, &names(&["$default", "authorizer"]), false).unwrap();
        assert_eq!(
            labels(&two),
            [
                ("authorizer", "/aws/lambda/chat-dev-authorizer"),
                ("default", "/aws/lambda/chat-dev-default"),
            ]
        );
    }

    #[test]
    fn unknown_names_get_did_you_mean_and_the_valid_names() {
        let c = config(APP);
        let e = select(&c, &["conect".to_owned()], false).unwrap_err();
        assert_eq!(e.code, "UnknownFunction");
        assert_eq!(
            e.message,
            "`conect` is neither a function nor a route of app `chat`"
        );
        let hint = e.hint.unwrap();
        assert!(hint.starts_with("did you mean `connect`? "), "{hint}");
        assert!(
            hint.contains("functions: authorizer, connect, default, ws; routes: $connect, $default, sendMessage"),
            "{hint}"
        );
        let e = select(&c, &["sendMesage".to_owned()], false).unwrap_err();
        assert!(e.hint.unwrap().starts_with("did you mean `sendMessage`?"));
        let e = select(&c, &["zzz".to_owned()], false).unwrap_err();
        assert!(e.hint.unwrap().starts_with("functions: "));
    }

    #[test]
    fn access_adds_the_access_log_or_is_alone() {
        let with = format!("{APP}api:\n  accessLog: true\n");
        let c = config(&with);
        let only = select(&c, &[], true).unwrap();
        assert_eq!(labels(&only), [("access", "/aws/apigateway/chat-dev")]);
        assert_eq!(only[0].kind, SourceKind::Access);
        let both = select(&c, &["ws".to_owned()], true).unwrap();
        assert_eq!(
            labels(&both),
            [
                ("access", "/aws/apigateway/chat-dev"),
                ("ws", "/aws/lambda/chat-dev-ws")
            ]
        );
        let e = select(&config(APP), &[], true).unwrap_err();
        assert_eq!(e.code, "NoAccessLog");
        assert!(e.hint.unwrap().contains("api.accessLog"));
    }

    #[test]
    fn access_log_of_a_destination_arn() {
        assert_eq!(
            group_of_arn("arn:aws:logs:us-east-1:123456789012:log-group:my/access:*"),
            "my/access"
        );
        assert_eq!(
            group_of_arn("arn:aws:logs:us-east-1:123456789012:log-group:mine"),
            "mine"
        );
    }

    #[test]
    fn an_external_function_only_through_its_route() {
        let mut c = config(APP);
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:existing";
        if let Some(r) = c.routes.get_mut("sendMessage") {
            arn.clone_into(&mut r.function);
        }
        c.functions.remove("ws");
        let all = select(&c, &[], false).unwrap();
        assert!(all.iter().all(|s| s.label != "existing"), "{all:?}");
        let it = select(&c, &["sendMessage".to_owned()], false).unwrap();
        assert_eq!(labels(&it), [("existing", "/aws/lambda/existing")]);
        assert_eq!(it[0].kind, SourceKind::External);
        assert_eq!(
            external_function("arn:aws:lambda:us-east-1:1:function:f:live"),
            Some("f")
        );
        assert_eq!(external_function("src/ws.handler"), None);
        let e = select(&c, &["existing".to_owned()], false).unwrap_err();
        assert_eq!(e.code, "UnknownFunction");
    }
}

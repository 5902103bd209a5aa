//! Planner golden tests: (config fixture, observed-state fixture) → plan,
//! rendered as text and JSON and compared with committed snapshots.
//!
//! Observed states live in fixtures/observed/*.json (the `State` type as
//! JSON). `chat-in-sync.json` is exactly what deploying fixtures/chat makes
//! (API id `a1b2c3d4e5`); the drift fixtures are edited copies of it. To
//! rebuild the in-sync file after a deliberate change to desired state, run
//! `WSDEPLOY_BLESS_OBSERVED=1 cargo test --test plan_golden`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wsdeploy::config::model::Config;
use wsdeploy::config::{LoadOptions, load};
use wsdeploy::desired::{self, Context};
use wsdeploy::output::plan as render;
use wsdeploy::plan::{self, Op, Resource};
use wsdeploy::state::State;

const API_ID: &str = "a1b2c3d4e5";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn config(rel: &str) -> Config {
    let lookup = |_: &str| None;
    let l = load(
        Path::new(rel),
        &LoadOptions {
            stage: None,
            region: None,
            env_region: None,
            env: &lookup,
        },
    );
    l.config.unwrap_or_else(|| panic!("{rel} is valid"))
}

/// Package hashes stand-ins: stable per function, so goldens do not depend
/// on the zip bytes.
fn context(c: &Config, api_id: Option<&str>) -> Context {
    let code: BTreeMap<String, (String, u64)> = c
        .functions
        .keys()
        .enumerate()
        .map(|(i, k)| {
            (
                k.clone(),
                (format!("c0de{k}{i}Sha256Base64="), 1000 + 37 * i as u64),
            )
        })
        .collect();
    Context {
        account_id: "123456789012".to_owned(),
        region: c.region.clone().unwrap_or_else(|| "us-east-1".to_owned()),
        partition: "aws".to_owned(),
        api_id: api_id.map(str::to_owned),
        code,
    }
}

fn observed(name: &str) -> State {
    let path = root()
        .join("fixtures/observed")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn in_sync_chat() -> State {
    let c = config("fixtures/chat/wsdeploy.yml");
    let mut s = desired::build(&c, &context(&c, Some(API_ID)));
    if let Some(api) = s.api.as_mut() {
        api.id = API_ID.to_owned();
    }
    s
}

#[test]
fn in_sync_fixture_is_current() {
    let want = in_sync_chat();
    let path = root().join("fixtures/observed/chat-in-sync.json");
    if std::env::var_os("WSDEPLOY_BLESS_OBSERVED").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&want).unwrap() + "\n").unwrap();
    }
    assert_eq!(
        observed("chat-in-sync"),
        want,
        "fixtures/observed/chat-in-sync.json is stale"
    );
}

fn run(config_rel: &str, observed_state: &State) -> plan::Plan {
    let c = config(config_rel);
    let api_id = observed_state.api.as_ref().map(|a| a.id.as_str());
    let want = desired::build(&c, &context(&c, api_id));
    plan::plan(&want, observed_state)
}

fn snap(name: &str, p: &plan::Plan) {
    insta::assert_snapshot!(format!("{name}__text"), render::text(p));
    insta::assert_snapshot!(
        format!("{name}__json"),
        serde_json::to_string_pretty(&render::json(p)).unwrap()
    );
}

#[test]
fn chat_from_nothing_creates_everything_once() {
    let p = run("fixtures/chat/wsdeploy.yml", &State::default());
    let s = p.summary();
    assert_eq!((s.update, s.replace, s.delete), (0, 0, 0));
    // 5 roles + 5 policies + 5 log groups + 5 functions + 5 permissions (4
    // routes, 1 authorizer) + api + 4 integrations + authorizer + 4 routes +
    // stage + deployment.
    assert_eq!(s.create, 5 + 5 + 5 + 5 + 5 + 1 + 4 + 1 + 4 + 1 + 1);
    assert_eq!(
        p.actions
            .iter()
            .filter(|a| matches!(a.resource, Resource::Deployment(_)))
            .count(),
        1
    );
    snap("chat_create", &p);
}

#[test]
fn chat_in_sync_plans_nothing() {
    let p = run("fixtures/chat/wsdeploy.yml", &observed("chat-in-sync"));
    assert!(p.is_empty(), "{}", render::text(&p));
    assert_eq!(
        render::text(&p),
        "No changes: live state matches the config.\n"
    );
}

#[test]
fn chat_drift_is_repaired_field_by_field() {
    let p = run("fixtures/chat/wsdeploy.yml", &observed("chat-drift"));
    let text = render::text(&p);
    assert!(
        !text.contains("dev-token"),
        "an environment value leaked into the plan"
    );
    snap("chat_drift", &p);
}

#[test]
fn one_handler_changed_updates_only_that_code() {
    let mut obs = in_sync_chat();
    obs.functions
        .get_mut("chat-dev-sendMessage")
        .unwrap()
        .code_sha256 = "0ldC0deSha256Base64=".to_owned();
    let p = run("fixtures/chat/wsdeploy.yml", &obs);
    assert_eq!(p.actions.len(), 1, "{}", render::text(&p));
    assert_eq!(p.actions[0].op, Op::Update);
    assert_eq!(
        p.actions[0].resource,
        Resource::FunctionCode("chat-dev-sendMessage".to_owned())
    );
    assert!(!deploys(&p), "a code change needs no new API deployment");
}

/// Whether the plan makes a new deployment.
fn deploys(p: &plan::Plan) -> bool {
    p.actions
        .iter()
        .any(|a| matches!(a.resource, Resource::Deployment(_)))
}

#[test]
fn undeployed_definition_gets_a_deployment() {
    let mut obs = in_sync_chat();
    obs.api
        .as_mut()
        .unwrap()
        .stage
        .as_mut()
        .unwrap()
        .deployed_definition = Some("older".to_owned());
    let p = run("fixtures/chat/wsdeploy.yml", &obs);
    assert_eq!(p.actions.len(), 1);
    assert_eq!(
        p.actions[0].reason.as_deref(),
        Some("changes not yet deployed to the stage")
    );
}

#[test]
fn remove_deletes_in_the_safe_order() {
    let p = plan::plan(&State::default(), &in_sync_chat());
    assert!(p.actions.iter().all(|a| a.op == Op::Delete));
    let pos = |pred: &dyn Fn(&Resource) -> bool| {
        p.actions.iter().position(|a| pred(&a.resource)).unwrap()
    };
    // Deleting the API takes its routes, integrations, authorizers and stage.
    assert!(!p.actions.iter().any(|a| matches!(
        a.resource,
        Resource::Route(_) | Resource::Integration(_) | Resource::Stage(_)
    )));
    let api = pos(&|r| matches!(r, Resource::Api(_)));
    let function = pos(&|r| matches!(r, Resource::Function(_)));
    let policy = pos(&|r| matches!(r, Resource::RolePolicy(..)));
    let role = pos(&|r| matches!(r, Resource::Role(_)));
    assert!(api < function && function < policy && policy < role);
    snap("chat_remove", &p);
}

#[test]
fn full_from_nothing() {
    let p = run("fixtures/full/wsdeploy.yml", &State::default());
    snap("full_create", &p);
}

/// The longest chain of actions that wait for each other: the sequential
/// writes a deploy needs at the least.
fn depth(p: &plan::Plan, waits: &[plan::Waits]) -> usize {
    let mut d: Vec<usize> = Vec::new();
    for w in waits {
        let before = (0..w.prefix).chain(w.on.iter().copied());
        d.push(1 + before.map(|j| d[j]).max().unwrap_or(0));
    }
    assert_eq!(d.len(), p.actions.len());
    d.into_iter().max().unwrap_or(0)
}

fn waits_text(p: &plan::Plan, waits: &[plan::Waits]) -> String {
    let name = |i: usize| {
        let a = &p.actions[i];
        format!("{:?} {} {}", a.op, a.resource.kind(), a.resource.name())
    };
    let mut out = String::new();
    for (i, w) in waits.iter().enumerate() {
        let mut on: Vec<String> = w.on.iter().map(|&j| name(j)).collect();
        if w.prefix > 0 {
            on.insert(0, format!("the first {} actions", w.prefix));
        }
        out.push_str(&format!("{} <- [{}]\n", name(i), on.join(", ")));
    }
    out
}

#[test]
fn creating_chat_overlaps_the_roles_the_api_and_each_function() {
    let c = config("fixtures/chat/wsdeploy.yml");
    let want = desired::build(&c, &context(&c, None));
    let p = plan::plan(&want, &State::default());
    let waits = plan::dependencies(&p.actions, &want, &State::default());
    let at = |pred: &dyn Fn(&Resource) -> bool| {
        p.actions.iter().position(|a| pred(&a.resource)).unwrap()
    };
    for (i, w) in waits.iter().enumerate() {
        assert!(
            w.prefix <= i && w.on.iter().all(|&j| j < i),
            "action {i} waits for a later one"
        );
    }
    let api = at(&|r| matches!(r, Resource::Api(_)));
    let role = at(&|r| matches!(r, Resource::Role(n) if n == "chat-dev-sendMessage"));
    let group = at(
        &|r| matches!(r, Resource::FunctionLogGroup(n) if n == "/aws/lambda/chat-dev-sendMessage"),
    );
    let function = at(&|r| matches!(r, Resource::Function(n) if n == "chat-dev-sendMessage"));
    let integration = at(&|r| matches!(r, Resource::Integration(n) if n == "chat-dev-sendMessage"));
    let deployment = at(&|r| matches!(r, Resource::Deployment(_)));
    assert!(waits[role].on.is_empty(), "a role needs nothing");
    assert!(waits[group].on.is_empty(), "a log group needs nothing");
    assert_eq!(waits[function].on, vec![api, role]);
    // An integration names the function by ARN: it needs only the API.
    assert_eq!(waits[integration].on, vec![api]);
    let permission = at(
        &|r| matches!(r, Resource::Permission(f, s) if f == "chat-dev-sendMessage" && s == "wsdeploy-invoke"),
    );
    assert_eq!(
        waits[permission].on,
        vec![api, function],
        "what lets API Gateway invoke a function waits for the function only: \
         the deployment, which waits for the log group, is what makes it invoked"
    );
    assert!(waits[deployment].prefix > group);
    assert_eq!(
        waits[deployment].prefix, deployment,
        "the deployment waits for everything"
    );
    // API and roles, then functions and policies, then integrations and
    // permissions, then routes, then the deployment.
    assert_eq!(depth(&p, &waits), 5);
    insta::assert_snapshot!("chat_create__waits", waits_text(&p, &waits));
}

#[test]
fn the_longest_chains_of_waits_are_measured_from_each_action() {
    let c = config("fixtures/chat/wsdeploy.yml");
    let want = desired::build(&c, &context(&c, None));
    let p = plan::plan(&want, &State::default());
    let waits = plan::dependencies(&p.actions, &want, &State::default());
    let lengths = plan::chain_lengths(&waits);
    let length = |pred: &dyn Fn(&Resource) -> bool| {
        lengths[p.actions.iter().position(|a| pred(&a.resource)).unwrap()]
    };
    // API → the authorizer's function → authorizer → $connect → deployment.
    assert_eq!(length(&|r| matches!(r, Resource::Api(_))), 5);
    assert_eq!(
        length(&|r| matches!(r, Resource::Role(n) if n == "chat-dev-authorizer")),
        5
    );
    // Role → function → permission → deployment.
    assert_eq!(
        length(&|r| matches!(r, Resource::Role(n) if n == "chat-dev-sendMessage")),
        4
    );
    // Integration → route → deployment, ahead of the stage's two.
    assert_eq!(
        length(&|r| matches!(r, Resource::Integration(n) if n == "chat-dev-sendMessage")),
        3
    );
    assert_eq!(length(&|r| matches!(r, Resource::Stage(_))), 2);
    assert_eq!(length(&|r| matches!(r, Resource::Deployment(_))), 1);
    // Every action outlasts what waits for it, and the longest chain is
    // the plan's depth.
    for (i, w) in waits.iter().enumerate() {
        let before = w.on.iter().copied().chain(0..w.prefix);
        for j in before {
            assert!(
                lengths[j] > lengths[i],
                "action {j} must outlast action {i}"
            );
        }
    }
    assert_eq!(
        lengths.iter().copied().max().unwrap() as usize,
        depth(&p, &waits)
    );
}

#[test]
fn removing_goes_by_dependency_not_phase() {
    let observed = in_sync_chat();
    let p = plan::plan(&State::default(), &observed);
    let waits = plan::dependencies(&p.actions, &State::default(), &observed);
    let text = waits_text(&p, &waits);
    let at = |r: Resource| p.actions.iter().position(|a| a.resource == r).unwrap();
    for (i, w) in waits.iter().enumerate() {
        assert_eq!(
            w.prefix, 0,
            "only deletions: nothing comes before them\n{text}"
        );
        assert!(w.on.iter().all(|&j| j < i), "{text}");
    }
    let f = "chat-dev-sendMessage";
    let function = at(Resource::Function(f.to_owned()));
    let role = at(Resource::Role(f.to_owned()));
    let group = at(Resource::FunctionLogGroup(format!("/aws/lambda/{f}")));
    let policies: Vec<usize> = (0..p.actions.len())
        .filter(|&i| matches!(&p.actions[i].resource, Resource::RolePolicy(r, _) if r == f))
        .collect();
    assert!(!policies.is_empty());
    let api = p
        .actions
        .iter()
        .position(|a| matches!(a.resource, Resource::Api(_)))
        .unwrap();
    // DeleteApi (with its routes, integrations and stage), the functions
    // and the role policies go at once.
    assert!(waits[api].on.is_empty(), "{text}");
    assert!(waits[function].on.is_empty(), "{text}");
    assert!(policies.iter().all(|&i| waits[i].on.is_empty()), "{text}");
    // A role after its policies and its function; a log group after its
    // function.
    let mut role_waits = policies.clone();
    role_waits.push(function);
    role_waits.sort_unstable();
    assert_eq!(waits[role].on, role_waits, "{text}");
    assert_eq!(waits[group].on, vec![function], "{text}");
    assert_eq!(depth(&p, &waits), 2, "{text}");
    insta::assert_snapshot!("chat_remove__waits", text);
}

#[test]
fn a_removed_domain_goes_records_mapping_name_certificate() {
    use wsdeploy::plan::Action;
    let d = "ws.example.com".to_owned();
    let delete = |r: Resource| Action {
        op: Op::Delete,
        resource: r,
        changes: vec![],
        reason: None,
        widens: vec![],
    };
    let actions = vec![
        delete(Resource::DnsRecords(d.clone())),
        delete(Resource::ApiMapping(d.clone())),
        delete(Resource::DomainName(d.clone())),
        delete(Resource::Certificate(d.clone())),
        delete(Resource::Stage("dev".to_owned())),
        delete(Resource::Api("api".to_owned())),
        delete(Resource::LogGroup("/aws/apigateway/x".to_owned())),
    ];
    let mut sorted = actions.clone();
    sorted.sort_by_key(plan::phase);
    assert_eq!(sorted, actions, "the plan's order");
    let waits = plan::dependencies(&actions, &State::default(), &State::default());
    let on: Vec<Vec<usize>> = waits.iter().map(|w| w.on.clone()).collect();
    assert_eq!(
        on,
        vec![
            vec![],
            vec![0],
            vec![0, 1],
            vec![2],
            vec![1],
            vec![1, 4],
            vec![4, 5]
        ]
    );
}

/// Live state narrower than the config in each way IAM can widen, and one
/// change that narrows: the plan marks the five and not the sixth.
#[test]
fn iam_widening_changes_are_marked_and_narrowing_ones_are_not() {
    let mut obs = in_sync_chat();
    let statements = |s: &mut State, role: &str| -> Vec<serde_json::Value> {
        s.roles.get_mut(role).unwrap().policies["wsdeploy"]["Statement"]
            .as_array()
            .unwrap()
            .clone()
    };
    let set_statements = |s: &mut State, role: &str, v: Vec<serde_json::Value>| {
        s.roles
            .get_mut(role)
            .unwrap()
            .policies
            .get_mut("wsdeploy")
            .unwrap()["Statement"] = serde_json::Value::Array(v);
    };
    // Live lacks dynamodb:Scan: the config adds it.
    let mut send = statements(&mut obs, "chat-dev-sendMessage");
    for st in &mut send {
        if let Some(actions) = st["Action"].as_array_mut() {
            actions.retain(|a| a != "dynamodb:Scan");
        }
    }
    set_statements(&mut obs, "chat-dev-sendMessage", send);
    // Live has an extra action the config drops: narrowing, not marked.
    let mut disconnect = statements(&mut obs, "chat-dev-disconnect");
    for st in &mut disconnect {
        if let Some(actions) = st["Action"].as_array_mut()
            && actions.iter().any(|a| a == "dynamodb:DeleteItem")
        {
            actions.push("dynamodb:Scan".into());
        }
    }
    set_statements(&mut obs, "chat-dev-disconnect", disconnect);
    // A boundary set by hand that the config does not have.
    obs.roles
        .get_mut("chat-dev-connect")
        .unwrap()
        .permissions_boundary = Some("arn:aws:iam::123456789012:policy/boundary".to_owned());
    // An invoke permission narrower than the one the config asks for.
    let p = obs
        .permissions
        .get_mut("chat-dev-connect")
        .unwrap()
        .get_mut("wsdeploy-invoke")
        .unwrap();
    p.source_arn = format!("arn:aws:execute-api:us-east-1:123456789012:{API_ID}/*/$connect");
    // A function that runs as a role other than the one the config gives it.
    obs.functions.get_mut("chat-dev-authorizer").unwrap().role = "ops-admin".to_owned();
    let c = config("fixtures/chat/wsdeploy.yml");
    let mut want = desired::build(&c, &context(&c, Some(API_ID)));
    // A managed policy the config attaches.
    want.roles
        .get_mut("chat-dev-default")
        .unwrap()
        .managed_policies
        .insert("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess".to_owned());
    let p = plan::plan(&want, &obs);
    let marked: Vec<String> = p
        .actions
        .iter()
        .filter(|a| !a.widens.is_empty())
        .map(|a| format!("{} {}", a.resource.kind(), a.resource.name()))
        .collect();
    assert_eq!(
        marked,
        [
            "role chat-dev-connect",
            "role chat-dev-default",
            "role policy chat-dev-sendMessage/wsdeploy",
            "function chat-dev-authorizer",
            "permission chat-dev-connect/wsdeploy-invoke",
        ],
        "{}",
        render::text(&p)
    );
    let narrowed = p
        .actions
        .iter()
        .find(|a| {
            a.resource == Resource::RolePolicy("chat-dev-disconnect".into(), "wsdeploy".into())
        })
        .expect("the narrowing update is planned");
    assert!(narrowed.widens.is_empty());
    assert_eq!(render::json(&p)["iamWidening"], 5);
    snap("chat_iam_widening", &p);
}

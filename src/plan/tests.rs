//! Unit tests of what apply reads from a plan: the planner's typed changes
//! and the `Action` methods over them.

use std::collections::BTreeMap;

use crate::state::{
    AccessLog, Api, Function, LogGroup, Role, RouteSettings, Stage, State, Tags, Vpc,
};

use super::*;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn function(name: &str) -> Function {
    Function {
        name: name.to_owned(),
        runtime: "nodejs22.x".to_owned(),
        handler: "index.handler".to_owned(),
        role: "role-a".to_owned(),
        memory_size: 128,
        timeout: 3,
        architecture: "arm64".to_owned(),
        environment: tags(&[("TABLE", "t1")]),
        layers: vec![],
        code_sha256: "c0de".to_owned(),
        code_size: Some(1000),
        log_format: "Text".to_owned(),
        log_level: None,
        log_group: None,
        role_arn: None,
        description: "d".to_owned(),
        tracing: "PassThrough".to_owned(),
        ephemeral_storage: 512,
        kms_key_arn: None,
        vpc: None,
        reserved_concurrency: None,
        live: None,
        tags: tags(&[("keep", "1"), ("change", "old"), ("drop", "x")]),
    }
}

fn with_function(f: Function) -> State {
    State {
        functions: BTreeMap::from([(f.name.clone(), f)]),
        ..State::default()
    }
}

fn throttle(burst: Option<i64>, rate: Option<f64>) -> RouteSettings {
    RouteSettings {
        burst_limit: burst,
        rate_limit: rate,
        ..RouteSettings::default()
    }
}

fn stage() -> Stage {
    Stage {
        name: "dev".to_owned(),
        default_route: RouteSettings::default(),
        routes: BTreeMap::from([
            ("$connect".to_owned(), throttle(Some(5), Some(10.0))),
            ("send".to_owned(), throttle(Some(5), Some(10.0))),
        ]),
        variables: tags(&[("A", "1"), ("B", "2")]),
        access_log: Some(AccessLog {
            destination_arn: "arn:aws:logs:us-east-1:1:log-group:g".to_owned(),
            format: "$context.requestId".to_owned(),
        }),
        tags: tags(&[("t", "1")]),
        deployed_definition: Some("def".to_owned()),
    }
}

fn with_stage(s: Stage) -> State {
    State {
        api: Some(Api {
            id: String::new(),
            name: "chat-dev".to_owned(),
            description: None,
            route_selection_expression: "$request.body.action".to_owned(),
            tags: Tags::new(),
            integrations: Default::default(),
            authorizers: BTreeMap::new(),
            routes: BTreeMap::new(),
            stage: Some(s),
        }),
        ..State::default()
    }
}

/// The only action of the plan from `have` to `want`.
fn only_action(want: &State, have: &State) -> Action {
    let p = plan(want, have);
    assert_eq!(p.actions.len(), 1, "{:?}", p.actions);
    p.actions[0].clone()
}

#[test]
fn a_function_update_says_what_changes() {
    let have = function("f");
    let mut want = have.clone();
    want.memory_size = 256;
    want.environment.insert("TABLE".to_owned(), "t2".to_owned());
    want.tags = tags(&[("keep", "1"), ("change", "new"), ("add", "y")]);
    let a = only_action(&with_function(want), &with_function(have));
    assert_eq!(a.resource, Resource::Function("f".to_owned()));
    assert!(a.function_configuration_changed());
    assert!(a.changes_any(|f| matches!(f, Field::MemorySize)));
    assert!(!a.changes_any(|f| matches!(f, Field::Runtime | Field::Handler)));
    let memory = a.change(&Field::MemorySize).unwrap();
    assert_eq!(
        (memory.old.as_deref(), memory.new.as_deref()),
        (Some("128"), Some("256"))
    );
    let env = a.change(&Field::Environment("TABLE".to_owned())).unwrap();
    assert!(env.sensitive);
    assert_eq!(
        a.tags_to_set(),
        tags(&[("add", "y"), ("change", "new")]),
        "new and changed tags, with their values"
    );
    assert_eq!(a.tag_keys_to_remove(), vec!["drop".to_owned()]);
}

#[test]
fn tags_alone_do_not_change_a_functions_configuration() {
    let have = function("f");
    let mut want = have.clone();
    want.tags.remove("drop");
    let a = only_action(&with_function(want), &with_function(have));
    assert!(!a.function_configuration_changed());
    assert!(!a.settings_changed());
    assert!(a.tags_to_set().is_empty());
    assert_eq!(a.tag_keys_to_remove(), vec!["drop".to_owned()]);
}

#[test]
fn code_and_architecture_are_the_code_actions() {
    let have = function("f");
    let mut want = have.clone();
    want.code_sha256 = "c0de2".to_owned();
    want.architecture = "x86_64".to_owned();
    let a = only_action(&with_function(want), &with_function(have));
    assert_eq!(a.resource, Resource::FunctionCode("f".to_owned()));
    assert!(!a.function_configuration_changed());
    assert!(a.change(&Field::Code).is_some());
    assert!(a.change(&Field::Architecture).is_some());
}

#[test]
fn every_function_configuration_field_counts() {
    let base = function("f");
    let edits: [fn(&mut Function); 16] = [
        |f| f.runtime = "python3.13".to_owned(),
        |f| f.handler = "app.main".to_owned(),
        |f| f.role = "role-b".to_owned(),
        |f| f.memory_size = 512,
        |f| f.timeout = 30,
        |f| f.layers = vec!["arn:aws:lambda:us-east-1:1:layer:l:1".to_owned()],
        |f| {
            f.environment.remove("TABLE");
        },
        |f| f.log_format = "JSON".to_owned(),
        |f| f.log_level = Some("DEBUG".to_owned()),
        |f| f.log_group = Some("/custom".to_owned()),
        |f| f.description = "other".to_owned(),
        |f| f.tracing = "Active".to_owned(),
        |f| f.ephemeral_storage = 1024,
        |f| f.kms_key_arn = Some("arn:aws:kms:us-east-1:1:key/k".to_owned()),
        |f| {
            f.vpc = Some(Vpc {
                subnet_ids: ["subnet-1".to_owned()].into(),
                security_group_ids: ["sg-1".to_owned()].into(),
            })
        },
        |f| f.role_arn = Some("arn:aws:iam::1:role/existing".to_owned()),
    ];
    for edit in edits {
        let mut want = base.clone();
        edit(&mut want);
        let a = only_action(&with_function(want), &with_function(base.clone()));
        assert!(a.function_configuration_changed(), "{a:?}");
        assert!(a.tags_to_set().is_empty() && a.tag_keys_to_remove().is_empty());
    }
}

#[test]
fn a_stage_update_lists_removed_variables_route_settings_and_access_log() {
    let have = stage();
    let mut want = stage();
    want.variables = tags(&[("B", "3"), ("C", "4")]);
    want.routes.remove("send");
    want.access_log = None;
    want.tags.insert("u".to_owned(), "2".to_owned());
    let a = only_action(&with_stage(want), &with_stage(have));
    assert_eq!(a.resource, Resource::Stage("dev".to_owned()));
    assert!(a.settings_changed());
    assert_eq!(a.variables_removed(), vec!["A".to_owned()]);
    assert_eq!(a.route_settings_removed(), vec!["send".to_owned()]);
    assert!(a.access_log_removed());
    assert_eq!(a.tags_to_set(), tags(&[("u", "2")]));
    assert!(a.tag_keys_to_remove().is_empty());
    let shown: Vec<String> = a.changes.iter().map(|c| c.field.to_string()).collect();
    assert_eq!(
        shown,
        [
            "routes.send.burstLimit",
            "routes.send.rateLimit",
            "variables.A",
            "variables.B",
            "variables.C",
            "accessLog.destination",
            "accessLog.format",
            "tags.u",
        ]
    );
}

#[test]
fn an_unset_setting_of_a_kept_route_does_not_remove_its_settings() {
    let have = stage();
    let mut want = stage();
    want.routes
        .insert("send".to_owned(), throttle(Some(5), None));
    want.default_route.burst_limit = Some(100);
    let a = only_action(&with_stage(want), &with_stage(have));
    let rate = Field::RouteSetting {
        route: "send".to_owned(),
        setting: Setting::RateLimit,
        removed: false,
    };
    let c = a.change(&rate).unwrap();
    assert_eq!((c.old.as_deref(), c.new.as_deref()), (Some("10"), None));
    assert!(
        a.change(&Field::DefaultRoute(Setting::BurstLimit))
            .is_some()
    );
    assert!(a.route_settings_removed().is_empty());
    assert!(a.variables_removed().is_empty());
    assert!(!a.access_log_removed());
}

#[test]
fn stage_tags_alone_change_no_settings() {
    let have = stage();
    let mut want = stage();
    want.tags.clear();
    let a = only_action(&with_stage(want), &with_stage(have));
    assert!(!a.settings_changed());
    assert_eq!(a.tag_keys_to_remove(), vec!["t".to_owned()]);
}

#[test]
fn api_settings_are_told_from_its_tags() {
    let have = with_stage(stage());
    let mut want = have.clone();
    let api = want.api.as_mut().unwrap();
    api.tags.insert("k".to_owned(), "v".to_owned());
    let a = only_action(&want, &have);
    assert_eq!(a.resource, Resource::Api("chat-dev".to_owned()));
    assert!(!a.api_settings_changed());
    assert_eq!(a.tags_to_set(), tags(&[("k", "v")]));

    want.api.as_mut().unwrap().description = Some("chat".to_owned());
    let a = only_action(&want, &have);
    assert!(a.api_settings_changed());
    let c = a.change(&Field::Description).unwrap();
    assert_eq!((c.old.as_deref(), c.new.as_deref()), (None, Some("chat")));
}

#[test]
fn role_and_log_group_changes_are_typed() {
    let role = Role {
        name: "r".to_owned(),
        path: "/wsdeploy/".to_owned(),
        trust_policy: serde_json::json!({"Version": "2012-10-17"}),
        policies: BTreeMap::new(),
        managed_policies: Default::default(),
        permissions_boundary: None,
        tags: Tags::new(),
    };
    let have = State {
        roles: BTreeMap::from([("r".to_owned(), role.clone())]),
        log_group: Some(LogGroup {
            name: "g".to_owned(),
            retention_days: None,
            tags: tags(&[("a", "1")]),
        }),
        ..State::default()
    };
    let mut want = have.clone();
    want.roles.get_mut("r").unwrap().trust_policy = serde_json::json!({});
    want.log_group.as_mut().unwrap().retention_days = Some(7);
    let p = plan(&want, &have);
    assert_eq!(p.actions.len(), 2, "{:?}", p.actions);
    let role = &p.actions[0];
    assert_eq!(role.resource, Resource::Role("r".to_owned()));
    assert!(role.change(&Field::TrustPolicy).is_some());
    assert!(role.tags_to_set().is_empty() && role.tag_keys_to_remove().is_empty());
    let group = &p.actions[1];
    assert_eq!(group.resource, Resource::LogGroup("g".to_owned()));
    let c = group.change(&Field::Retention).unwrap();
    assert_eq!(
        (c.old.as_deref(), c.new.as_deref()),
        (Some("never expire"), Some("7 days"))
    );
    assert!(!group.changes_any(|f| matches!(f, Field::Tag(_))));
}

#[test]
fn changes_serialize_their_field_as_shown() {
    let have = function("f");
    let mut want = have.clone();
    want.environment.insert("TABLE".to_owned(), "t2".to_owned());
    let a = only_action(&with_function(want), &with_function(have));
    assert_eq!(
        serde_json::to_value(&a.changes[0]).unwrap(),
        serde_json::json!({
            "field": "environment.TABLE",
            "old": "t1",
            "new": "t2",
            "sensitive": true,
        })
    );
}

fn group(name: &str, days: Option<i64>, t: Tags) -> LogGroup {
    LogGroup {
        name: name.to_owned(),
        retention_days: days,
        tags: t,
    }
}

#[test]
fn function_log_groups_are_created_adopted_and_deleted() {
    let ours = tags(&[("wsdeploy:app", "a"), ("wsdeploy:stage", "dev")]);
    let want = State {
        function_log_groups: BTreeMap::from([
            (
                "/aws/lambda/new".to_owned(),
                group("/aws/lambda/new", Some(30), ours.clone()),
            ),
            (
                "/aws/lambda/made".to_owned(),
                group("/aws/lambda/made", Some(30), ours.clone()),
            ),
        ]),
        ..State::default()
    };
    let have = State {
        function_log_groups: BTreeMap::from([
            // Made by Lambda: no tags, never expiring.
            (
                "/aws/lambda/made".to_owned(),
                group("/aws/lambda/made", None, Tags::new()),
            ),
            (
                "/aws/lambda/old".to_owned(),
                group("/aws/lambda/old", Some(30), ours.clone()),
            ),
        ]),
        ..State::default()
    };
    let p = plan(&want, &have);
    let by_name = |n: &str| {
        p.actions
            .iter()
            .find(|a| a.resource == Resource::FunctionLogGroup(n.to_owned()))
            .unwrap_or_else(|| panic!("no action on {n}: {:?}", p.actions))
    };
    assert_eq!(by_name("/aws/lambda/new").op, Op::Create);
    let adopted = by_name("/aws/lambda/made");
    assert_eq!(adopted.op, Op::Update);
    assert!(
        adopted
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("adopted"))
    );
    assert_eq!(adopted.tags_to_set(), ours);
    assert!(adopted.change(&Field::Retention).is_some());
    assert_eq!(by_name("/aws/lambda/old").op, Op::Delete);
    // Made before the functions, deleted after them.
    let create = p.actions.iter().find(|a| a.op == Op::Create).unwrap();
    let delete = p.actions.iter().find(|a| a.op == Op::Delete).unwrap();
    assert!(
        phase(create)
            < phase(&Action {
                op: Op::Create,
                resource: Resource::Function("f".to_owned()),
                changes: vec![],
                reason: None,
                widens: Vec::new(),
            })
    );
    assert!(
        phase(delete)
            > phase(&Action {
                op: Op::Delete,
                resource: Resource::Function("f".to_owned()),
                changes: vec![],
                reason: None,
                widens: Vec::new(),
            })
    );
}

#[test]
fn reserved_concurrency_is_not_a_configuration_change() {
    let have = function("f");
    let mut want = have.clone();
    want.reserved_concurrency = Some(5);
    let a = only_action(&with_function(want), &with_function(have));
    assert!(!a.function_configuration_changed());
    assert!(a.change(&Field::ReservedConcurrency).is_some());
}

#[test]
fn managed_policies_and_the_boundary_are_role_changes() {
    let role = |policies: &[&str], boundary: Option<&str>| Role {
        name: "r".to_owned(),
        path: "/wsdeploy/".to_owned(),
        trust_policy: serde_json::json!({}),
        policies: BTreeMap::new(),
        managed_policies: policies.iter().map(|p| (*p).to_owned()).collect(),
        permissions_boundary: boundary.map(str::to_owned),
        tags: Tags::new(),
    };
    let with = |r: Role| State {
        roles: BTreeMap::from([("r".to_owned(), r)]),
        ..State::default()
    };
    let p = plan(
        &with(role(&["arn:p/new", "arn:p/kept"], Some("arn:b"))),
        &with(role(&["arn:p/kept", "arn:p/old"], None)),
    );
    assert_eq!(p.actions.len(), 1, "{:?}", p.actions);
    let shown: Vec<String> = p.actions[0]
        .changes
        .iter()
        .map(|c| format!("{}: {:?} -> {:?}", c.field, c.old, c.new))
        .collect();
    assert_eq!(
        shown,
        [
            "managedPolicies.arn:p/new: None -> Some(\"attached\")",
            "managedPolicies.arn:p/old: Some(\"attached\") -> None",
            "permissionsBoundary: None -> Some(\"arn:b\")",
        ]
    );
}

fn live(provisioned: u32, current: bool) -> Option<crate::state::Live> {
    Some(crate::state::Live {
        provisioned,
        current,
    })
}

#[test]
fn the_alias_follows_the_code_and_its_provisioned_concurrency() {
    let mut base = function("f");
    base.live = live(2, true);
    let alias = |p: &Plan| {
        p.actions
            .iter()
            .find(|a| a.resource == Resource::Alias("f".to_owned()))
            .cloned()
    };
    // In sync: nothing.
    assert!(plan(&with_function(base.clone()), &with_function(base.clone())).is_empty());
    // New code: a new version for the alias, after the code.
    let mut want = base.clone();
    want.code_sha256 = "new".to_owned();
    let p = plan(&with_function(want), &with_function(base.clone()));
    let a = alias(&p).expect("an alias action");
    assert!(a.change(&Field::Version).is_some());
    assert!(phase(&a) > phase(&p.actions[0]));
    // Only tags: no new version.
    let mut want = base.clone();
    want.tags.insert("new".to_owned(), "1".to_owned());
    assert_eq!(
        alias(&plan(&with_function(want), &with_function(base.clone()))),
        None
    );
    // Behind $LATEST (a run stopped before publishing): a new version.
    let mut have = base.clone();
    have.live = live(2, false);
    let a = alias(&plan(&with_function(base.clone()), &with_function(have))).unwrap();
    assert_eq!(
        a.change(&Field::Version).unwrap().old.as_deref(),
        Some("behind $LATEST")
    );
    // More provisioned concurrency, no new version.
    let mut want = base.clone();
    want.live = live(5, true);
    let a = alias(&plan(&with_function(want), &with_function(base.clone()))).unwrap();
    assert!(a.change(&Field::Version).is_none());
    assert!(a.change(&Field::ProvisionedConcurrency).is_some());
    // Taken out of the config: the alias goes.
    let mut want = base.clone();
    want.live = None;
    let a = alias(&plan(&with_function(want), &with_function(base.clone()))).unwrap();
    assert_eq!(a.op, Op::Delete);
    // A new function with provisioned concurrency: created with its alias.
    let p = plan(&with_function(base.clone()), &State::default());
    assert_eq!(alias(&p).unwrap().op, Op::Create);
}

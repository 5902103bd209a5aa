//! The planner: a pure function of (desired, observed) to an ordered list of
//! actions.
//!
//! No I/O and no SDK types. The order is deterministic: by phase (creates
//! and updates along dependencies, then deletions in the safe order of the
//! AWS guide), then by resource. Values that may be secret (environment
//! variables) are marked sensitive and never rendered.
//!
//! Phases, in order of execution:
//! API → roles → functions → invoke permissions → integrations →
//! authorizers → routes → route responses → stage → deletions inside the
//! API → one deployment → deletion of the API, permissions, functions and
//! roles. Deleting the API takes its routes, integrations, authorizers and
//! stage with it, so those are not deleted one by one.

mod field;
mod order;
pub mod render;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::state::*;

pub use field::{Field, Setting};
pub use order::{Waits, dependencies, phase};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "name")]
pub enum Resource {
    Role(String),
    /// An inline policy: (role, policy name).
    RolePolicy(String, String),
    Function(String),
    /// The code of a function, updated on its own.
    FunctionCode(String),
    /// An invoke permission: (function, statement id).
    Permission(String, String),
    Api(String),
    /// The Lambda proxy integration of a function.
    Integration(String),
    Authorizer(String),
    Route(String),
    /// The `$default` route response of a route.
    RouteResponse(String),
    Stage(String),
    /// A new deployment of the stage.
    Deployment(String),
    /// The access-log group.
    LogGroup(String),
    /// The ACM certificate wsdeploy requests for a domain.
    Certificate(String),
    /// The API Gateway custom domain name.
    DomainName(String),
    /// This stage's API mapping on a domain.
    ApiMapping(String),
    /// The Route 53 alias records (A and AAAA) of a domain.
    DnsRecords(String),
}

impl Resource {
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Role(_) => "role",
            Resource::RolePolicy(..) => "role policy",
            Resource::Function(_) => "function",
            Resource::FunctionCode(_) => "code",
            Resource::Permission(..) => "permission",
            Resource::Api(_) => "api",
            Resource::Integration(_) => "integration",
            Resource::Authorizer(_) => "authorizer",
            Resource::Route(_) => "route",
            Resource::RouteResponse(_) => "route response",
            Resource::Stage(_) => "stage",
            Resource::Deployment(_) => "deployment",
            Resource::LogGroup(_) => "log group",
            Resource::Certificate(_) => "certificate",
            Resource::DomainName(_) => "domain",
            Resource::ApiMapping(_) => "api mapping",
            Resource::DnsRecords(_) => "dns records",
        }
    }

    pub fn name(&self) -> String {
        match self {
            Resource::RolePolicy(role, policy) => format!("{role}/{policy}"),
            Resource::Permission(f, sid) => format!("{f}/{sid}"),
            Resource::Role(n)
            | Resource::Function(n)
            | Resource::FunctionCode(n)
            | Resource::Api(n)
            | Resource::Integration(n)
            | Resource::Authorizer(n)
            | Resource::Route(n)
            | Resource::RouteResponse(n)
            | Resource::Stage(n)
            | Resource::Deployment(n)
            | Resource::LogGroup(n)
            | Resource::Certificate(n)
            | Resource::DomainName(n)
            | Resource::ApiMapping(n)
            | Resource::DnsRecords(n) => n.clone(),
        }
    }

    /// Whether changing it changes the API definition a deployment freezes.
    pub fn in_api_definition(&self) -> bool {
        matches!(
            self,
            Resource::Integration(_)
                | Resource::Authorizer(_)
                | Resource::Route(_)
                | Resource::RouteResponse(_)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    /// Delete and create again (what cannot be updated in place).
    Replace,
    Delete,
}

/// One field that changes. `None` means absent. The values are for
/// people (a size, `never expire`), except those of tags, environment
/// variables and stage variables: those are the values themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Serialized as displayed (`environment.KEY`).
    pub field: Field,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Never show the values.
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub op: Op,
    pub resource: Resource,
    pub changes: Vec<Change>,
    /// Why, when the fields do not say it (a deployment's reason).
    pub reason: Option<String>,
}

/// What apply needs to know of an action, read from its changes. They are
/// the planner's diff of observed against desired state: an update action
/// lists every field that differs, so apply need not compare again. A
/// create, replace or delete lists at most what to show.
impl Action {
    /// The change of `field`, if the action changes it.
    pub fn change(&self, field: &Field) -> Option<&Change> {
        self.changes.iter().find(|c| &c.field == field)
    }

    /// Whether the action changes a field that `pred` accepts.
    pub fn changes_any(&self, pred: impl Fn(&Field) -> bool) -> bool {
        self.changes.iter().any(|c| pred(&c.field))
    }

    /// Whether a function's configuration changes (what
    /// UpdateFunctionConfiguration sets): runtime, handler, role, memory,
    /// timeout, layers or an environment variable.
    pub fn function_configuration_changed(&self) -> bool {
        self.changes_any(|f| {
            matches!(
                f,
                Field::Runtime
                    | Field::Handler
                    | Field::Role
                    | Field::MemorySize
                    | Field::Timeout
                    | Field::Layers
                    | Field::Environment(_)
            )
        })
    }

    /// Whether the API's own settings change (what UpdateApi sets): name,
    /// description or route selection expression.
    pub fn api_settings_changed(&self) -> bool {
        self.changes_any(|f| {
            matches!(
                f,
                Field::Name | Field::Description | Field::RouteSelectionExpression
            )
        })
    }

    /// Whether anything but tags changes (for a stage: what UpdateStage
    /// sets).
    pub fn settings_changed(&self) -> bool {
        self.changes_any(|f| !matches!(f, Field::Tag(_)))
    }

    /// The tags to set: new ones and changed values.
    pub fn tags_to_set(&self) -> Tags {
        self.changes
            .iter()
            .filter_map(|c| match (&c.field, &c.new) {
                (Field::Tag(k), Some(v)) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }

    /// The keys of the tags to remove.
    pub fn tag_keys_to_remove(&self) -> Vec<String> {
        self.removed_keys(|f| match f {
            Field::Tag(k) => Some(k),
            _ => None,
        })
    }

    /// The stage variables to remove.
    pub fn variables_removed(&self) -> Vec<String> {
        self.removed_keys(|f| match f {
            Field::Variable(k) => Some(k),
            _ => None,
        })
    }

    /// The route keys whose route settings are deleted: the config has no
    /// settings left for them.
    pub fn route_settings_removed(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .changes
            .iter()
            .filter_map(|c| match &c.field {
                Field::RouteSetting {
                    route,
                    removed: true,
                    ..
                } => Some(route.clone()),
                _ => None,
            })
            .collect();
        keys.dedup();
        keys
    }

    /// Whether the stage's access logging is turned off.
    pub fn access_log_removed(&self) -> bool {
        self.change(&Field::AccessLogDestination)
            .is_some_and(|c| c.old.is_some() && c.new.is_none())
    }

    /// The keys `key` finds among the changes whose new value is none.
    fn removed_keys(&self, key: impl Fn(&Field) -> Option<&String>) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| c.new.is_none())
            .filter_map(|c| key(&c.field).cloned())
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for a in &self.actions {
            match a.op {
                Op::Create => s.create += 1,
                Op::Update => s.update += 1,
                Op::Replace => s.replace += 1,
                Op::Delete => s.delete += 1,
            }
        }
        s
    }
}

/// Plans the changes that make `observed` into `desired`.
pub fn plan(desired: &State, observed: &State) -> Plan {
    let mut actions = Vec::new();
    plan_roles(desired, observed, &mut actions);
    plan_functions(desired, observed, &mut actions);
    plan_permissions(desired, observed, &mut actions);
    plan_api(desired.api.as_ref(), observed.api.as_ref(), &mut actions);
    plan_log_group(
        desired.log_group.as_ref(),
        observed.log_group.as_ref(),
        &mut actions,
    );
    plan_domains(desired, observed, &mut actions);
    actions.sort_by(|a, b| (phase(a), &a.resource).cmp(&(phase(b), &b.resource)));
    Plan { actions }
}

fn action(op: Op, resource: Resource, changes: Vec<Change>) -> Action {
    Action {
        op,
        resource,
        changes,
        reason: None,
    }
}

/// A change of `field`, when the values differ.
fn change(field: Field, old: Option<String>, new: Option<String>) -> Option<Change> {
    (old != new).then(|| Change {
        sensitive: field.is_sensitive(),
        field,
        old,
        new,
    })
}

/// A change per key whose value differs, in key order.
fn diff_map(
    field: impl Fn(&str) -> Field,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    out: &mut Vec<Change>,
) {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for k in keys {
        out.extend(change(field(k), old.get(k).cloned(), new.get(k).cloned()));
    }
}

/// The tags that change; the one place tags are compared.
fn tag_changes(old: &Tags, new: &Tags, out: &mut Vec<Change>) {
    diff_map(|k| Field::Tag(k.to_owned()), old, new, out);
}

fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn plan_roles(desired: &State, observed: &State, out: &mut Vec<Action>) {
    for (name, want) in &desired.roles {
        match observed.roles.get(name) {
            None => {
                out.push(action(Op::Create, Resource::Role(name.clone()), vec![]));
                for policy in want.policies.keys() {
                    out.push(action(
                        Op::Create,
                        Resource::RolePolicy(name.clone(), policy.clone()),
                        vec![],
                    ));
                }
            }
            Some(have) => {
                let mut changes = Vec::new();
                changes.extend(change(
                    Field::TrustPolicy,
                    Some(json_text(&have.trust_policy)),
                    Some(json_text(&want.trust_policy)),
                ));
                tag_changes(&have.tags, &want.tags, &mut changes);
                if !changes.is_empty() {
                    out.push(action(Op::Update, Resource::Role(name.clone()), changes));
                }
                for (policy, doc) in &want.policies {
                    let r = Resource::RolePolicy(name.clone(), policy.clone());
                    match have.policies.get(policy) {
                        None => out.push(action(Op::Create, r, vec![])),
                        Some(old) if old != doc => out.push(action(
                            Op::Update,
                            r,
                            change(Field::Document, Some(json_text(old)), Some(json_text(doc)))
                                .into_iter()
                                .collect(),
                        )),
                        Some(_) => {}
                    }
                }
                for policy in have
                    .policies
                    .keys()
                    .filter(|p| !want.policies.contains_key(*p))
                {
                    out.push(action(
                        Op::Delete,
                        Resource::RolePolicy(name.clone(), policy.clone()),
                        vec![],
                    ));
                }
            }
        }
    }
    for (name, have) in &observed.roles {
        if !desired.roles.contains_key(name) {
            for policy in have.policies.keys() {
                out.push(action(
                    Op::Delete,
                    Resource::RolePolicy(name.clone(), policy.clone()),
                    vec![],
                ));
            }
            out.push(action(Op::Delete, Resource::Role(name.clone()), vec![]));
        }
    }
}

fn code_text(sha: &str, size: Option<u64>) -> String {
    let short: String = sha
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    match size {
        Some(s) => format!("{short} ({})", human_size(s)),
        None => short,
    }
}

pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn plan_functions(desired: &State, observed: &State, out: &mut Vec<Action>) {
    for (name, want) in &desired.functions {
        let Some(have) = observed.functions.get(name) else {
            out.push(action(
                Op::Create,
                Resource::Function(name.clone()),
                vec![Change {
                    field: Field::Code,
                    old: None,
                    new: Some(code_text(&want.code_sha256, want.code_size)),
                    sensitive: false,
                }],
            ));
            continue;
        };
        let mut changes = Vec::new();
        changes.extend(change(
            Field::Runtime,
            Some(have.runtime.clone()),
            Some(want.runtime.clone()),
        ));
        changes.extend(change(
            Field::Handler,
            Some(have.handler.clone()),
            Some(want.handler.clone()),
        ));
        changes.extend(change(
            Field::Role,
            Some(have.role.clone()),
            Some(want.role.clone()),
        ));
        changes.extend(change(
            Field::MemorySize,
            Some(have.memory_size.to_string()),
            Some(want.memory_size.to_string()),
        ));
        changes.extend(change(
            Field::Timeout,
            Some(have.timeout.to_string()),
            Some(want.timeout.to_string()),
        ));
        changes.extend(change(
            Field::Layers,
            Some(have.layers.join(", ")),
            Some(want.layers.join(", ")),
        ));
        diff_map(
            |k| Field::Environment(k.to_owned()),
            &have.environment,
            &want.environment,
            &mut changes,
        );
        tag_changes(&have.tags, &want.tags, &mut changes);
        if !changes.is_empty() {
            out.push(action(
                Op::Update,
                Resource::Function(name.clone()),
                changes,
            ));
        }
        // The architecture is set with the code (UpdateFunctionCode).
        let mut code = Vec::new();
        if have.code_sha256 != want.code_sha256 {
            code.push(Change {
                field: Field::Code,
                old: Some(code_text(&have.code_sha256, have.code_size)),
                new: Some(code_text(&want.code_sha256, want.code_size)),
                sensitive: false,
            });
        }
        code.extend(change(
            Field::Architecture,
            Some(have.architecture.clone()),
            Some(want.architecture.clone()),
        ));
        if !code.is_empty() {
            out.push(action(
                Op::Update,
                Resource::FunctionCode(name.clone()),
                code,
            ));
        }
    }
    for name in observed
        .functions
        .keys()
        .filter(|n| !desired.functions.contains_key(*n))
    {
        out.push(action(Op::Delete, Resource::Function(name.clone()), vec![]));
    }
}

fn plan_permissions(desired: &State, observed: &State, out: &mut Vec<Action>) {
    let empty = BTreeMap::new();
    for (func, want_all) in &desired.permissions {
        let have_all = observed.permissions.get(func).unwrap_or(&empty);
        for (sid, want) in want_all {
            let r = Resource::Permission(func.clone(), sid.clone());
            match have_all.get(sid) {
                None => out.push(action(Op::Create, r, vec![])),
                Some(have) if have != want => {
                    let mut c = Vec::new();
                    c.extend(change(
                        Field::SourceArn,
                        Some(have.source_arn.clone()),
                        Some(want.source_arn.clone()),
                    ));
                    c.extend(change(
                        Field::Principal,
                        Some(have.principal.clone()),
                        Some(want.principal.clone()),
                    ));
                    c.extend(change(
                        Field::Action,
                        Some(have.action.clone()),
                        Some(want.action.clone()),
                    ));
                    c.extend(change(
                        Field::SourceAccount,
                        have.source_account.clone(),
                        want.source_account.clone(),
                    ));
                    out.push(action(Op::Replace, r, c));
                }
                Some(_) => {}
            }
        }
    }
    for (func, have_all) in &observed.permissions {
        // A function being deleted takes its policy with it.
        if !desired.functions.contains_key(func) {
            continue;
        }
        let want_all = desired.permissions.get(func).unwrap_or(&empty);
        for sid in have_all.keys().filter(|s| !want_all.contains_key(*s)) {
            out.push(action(
                Op::Delete,
                Resource::Permission(func.clone(), sid.clone()),
                vec![],
            ));
        }
    }
}

fn authorization_text(a: &Authorization) -> String {
    match a {
        Authorization::None => "none".to_owned(),
        Authorization::Iam => "iam".to_owned(),
        Authorization::Custom(n) => format!("authorizer {n}"),
    }
}

/// A setting's value as the plan shows it.
fn setting_text(r: &RouteSettings, s: Setting) -> Option<String> {
    match s {
        Setting::BurstLimit => r.burst_limit.map(|x| x.to_string()),
        Setting::RateLimit => r.rate_limit.map(|x| x.to_string()),
        Setting::LoggingLevel => r.logging_level.clone(),
        Setting::DataTrace => r.data_trace.map(|x| x.to_string()),
        Setting::DetailedMetrics => r.detailed_metrics.map(|x| x.to_string()),
    }
}

fn settings_changes(
    field: impl Fn(Setting) -> Field,
    have: &RouteSettings,
    want: &RouteSettings,
    out: &mut Vec<Change>,
) {
    for s in Setting::ALL {
        out.extend(change(
            field(s),
            setting_text(have, s),
            setting_text(want, s),
        ));
    }
}

fn plan_api(desired: Option<&Api>, observed: Option<&Api>, out: &mut Vec<Action>) {
    let Some(want) = desired else {
        if let Some(have) = observed {
            plan_api_deletion(have, out);
        }
        return;
    };
    let empty_api;
    let have = match observed {
        Some(h) => {
            let mut changes = Vec::new();
            changes.extend(change(
                Field::Name,
                Some(h.name.clone()),
                Some(want.name.clone()),
            ));
            changes.extend(change(
                Field::Description,
                h.description.clone(),
                want.description.clone(),
            ));
            changes.extend(change(
                Field::RouteSelectionExpression,
                Some(h.route_selection_expression.clone()),
                Some(want.route_selection_expression.clone()),
            ));
            tag_changes(&h.tags, &want.tags, &mut changes);
            if !changes.is_empty() {
                out.push(action(
                    Op::Update,
                    Resource::Api(want.name.clone()),
                    changes,
                ));
            }
            h
        }
        None => {
            out.push(action(Op::Create, Resource::Api(want.name.clone()), vec![]));
            empty_api = Api {
                id: String::new(),
                name: want.name.clone(),
                description: None,
                route_selection_expression: String::new(),
                tags: Tags::new(),
                integrations: BTreeSet::new(),
                authorizers: BTreeMap::new(),
                routes: BTreeMap::new(),
                stage: None,
            };
            &empty_api
        }
    };

    for f in want.integrations.difference(&have.integrations) {
        out.push(action(Op::Create, Resource::Integration(f.clone()), vec![]));
    }
    for f in have.integrations.difference(&want.integrations) {
        out.push(action(Op::Delete, Resource::Integration(f.clone()), vec![]));
    }

    for (name, a) in &want.authorizers {
        let r = Resource::Authorizer(name.clone());
        match have.authorizers.get(name) {
            None => out.push(action(Op::Create, r, vec![])),
            Some(h) if h != a => {
                let mut c = Vec::new();
                c.extend(change(
                    Field::Function,
                    Some(h.function.clone()),
                    Some(a.function.clone()),
                ));
                c.extend(change(
                    Field::IdentitySource,
                    Some(h.identity_sources.join(", ")),
                    Some(a.identity_sources.join(", ")),
                ));
                out.push(action(Op::Update, r, c));
            }
            Some(_) => {}
        }
    }
    for name in have
        .authorizers
        .keys()
        .filter(|n| !want.authorizers.contains_key(*n))
    {
        out.push(action(
            Op::Delete,
            Resource::Authorizer(name.clone()),
            vec![],
        ));
    }

    for (key, r) in &want.routes {
        match have.routes.get(key) {
            None => {
                out.push(action(
                    Op::Create,
                    Resource::Route(key.clone()),
                    vec![Change {
                        field: Field::Function,
                        old: None,
                        new: r.function.clone(),
                        sensitive: false,
                    }],
                ));
                if r.returns_response {
                    out.push(action(
                        Op::Create,
                        Resource::RouteResponse(key.clone()),
                        vec![],
                    ));
                }
            }
            Some(h) => {
                let mut c = Vec::new();
                c.extend(change(
                    Field::Function,
                    h.function.clone(),
                    r.function.clone(),
                ));
                c.extend(change(
                    Field::Authorization,
                    Some(authorization_text(&h.authorization)),
                    Some(authorization_text(&r.authorization)),
                ));
                if !c.is_empty() {
                    out.push(action(Op::Update, Resource::Route(key.clone()), c));
                }
                match (h.returns_response, r.returns_response) {
                    (false, true) => out.push(action(
                        Op::Create,
                        Resource::RouteResponse(key.clone()),
                        vec![],
                    )),
                    (true, false) => out.push(action(
                        Op::Delete,
                        Resource::RouteResponse(key.clone()),
                        vec![],
                    )),
                    _ => {}
                }
            }
        }
    }
    for (key, h) in &have.routes {
        if !want.routes.contains_key(key) {
            if h.returns_response {
                out.push(action(
                    Op::Delete,
                    Resource::RouteResponse(key.clone()),
                    vec![],
                ));
            }
            out.push(action(Op::Delete, Resource::Route(key.clone()), vec![]));
        }
    }

    let api_changed = out.iter().any(|a| a.resource.in_api_definition());
    if let Some(ws) = &want.stage {
        let r = Resource::Stage(ws.name.clone());
        match &have.stage {
            None => out.push(action(Op::Create, r, vec![])),
            Some(hs) => {
                let mut c = Vec::new();
                settings_changes(
                    Field::DefaultRoute,
                    &hs.default_route,
                    &ws.default_route,
                    &mut c,
                );
                let keys: BTreeSet<&String> = hs.routes.keys().chain(ws.routes.keys()).collect();
                let none = RouteSettings::default();
                for k in keys {
                    let removed = !ws.routes.contains_key(k);
                    settings_changes(
                        |setting| Field::RouteSetting {
                            route: k.clone(),
                            setting,
                            removed,
                        },
                        hs.routes.get(k).unwrap_or(&none),
                        ws.routes.get(k).unwrap_or(&none),
                        &mut c,
                    );
                }
                diff_map(
                    |k| Field::Variable(k.to_owned()),
                    &hs.variables,
                    &ws.variables,
                    &mut c,
                );
                c.extend(change(
                    Field::AccessLogDestination,
                    hs.access_log.as_ref().map(|a| a.destination_arn.clone()),
                    ws.access_log.as_ref().map(|a| a.destination_arn.clone()),
                ));
                c.extend(change(
                    Field::AccessLogFormat,
                    hs.access_log.as_ref().map(|a| a.format.clone()),
                    ws.access_log.as_ref().map(|a| a.format.clone()),
                ));
                tag_changes(&hs.tags, &ws.tags, &mut c);
                if !c.is_empty() {
                    out.push(action(Op::Update, r, c));
                }
            }
        }
        // One deployment when the definition changed, or when the stage
        // does not run the definition it should (changed out of band, or a
        // previous run stopped before deploying).
        let deployed = have
            .stage
            .as_ref()
            .and_then(|s| s.deployed_definition.clone());
        let wanted = ws.deployed_definition.clone();
        if api_changed || deployed != wanted {
            let reason = if have.stage.is_none() || deployed.is_none() {
                "the stage has no deployment of this API yet"
            } else if api_changed {
                "routes, integrations or authorizers change"
            } else {
                "changes not yet deployed to the stage"
            };
            out.push(Action {
                op: Op::Create,
                resource: Resource::Deployment(ws.name.clone()),
                changes: change(Field::Definition, deployed, wanted)
                    .into_iter()
                    .collect(),
                reason: Some(reason.to_owned()),
            });
        }
    }
}

fn plan_log_group(want: Option<&LogGroup>, have: Option<&LogGroup>, out: &mut Vec<Action>) {
    match (want, have) {
        (Some(w), None) => out.push(action(
            Op::Create,
            Resource::LogGroup(w.name.clone()),
            vec![],
        )),
        (Some(w), Some(h)) => {
            let mut c = Vec::new();
            let days = |d: Option<i64>| {
                Some(d.map_or_else(|| "never expire".to_owned(), |d| format!("{d} days")))
            };
            c.extend(change(
                Field::Retention,
                days(h.retention_days),
                days(w.retention_days),
            ));
            tag_changes(&h.tags, &w.tags, &mut c);
            if !c.is_empty() {
                out.push(action(Op::Update, Resource::LogGroup(w.name.clone()), c));
            }
        }
        (None, Some(h)) => out.push(action(
            Op::Delete,
            Resource::LogGroup(h.name.clone()),
            vec![],
        )),
        (None, None) => {}
    }
}

fn plan_domains(desired: &State, observed: &State, out: &mut Vec<Action>) {
    for (name, want) in &desired.domains {
        let have = observed.domains.get(name);
        if want.certificate.managed {
            let cert = have
                .map(|h| &h.certificate)
                .filter(|c| c.managed && c.arn.is_some());
            match cert.and_then(|c| c.status.as_deref()) {
                None => out.push(action(
                    Op::Create,
                    Resource::Certificate(name.clone()),
                    vec![Change {
                        field: Field::Validation,
                        old: None,
                        new: Some("DNS".to_owned()),
                        sensitive: false,
                    }],
                )),
                Some("ISSUED") => {}
                Some("PENDING_VALIDATION") => out.push(Action {
                    op: Op::Update,
                    resource: Resource::Certificate(name.clone()),
                    changes: vec![],
                    reason: Some("waiting for DNS validation".to_owned()),
                }),
                Some(status) => out.push(Action {
                    op: Op::Replace,
                    resource: Resource::Certificate(name.clone()),
                    changes: vec![],
                    reason: Some(format!(
                        "the certificate is {status}{}",
                        cert.and_then(|c| c.reason.as_deref())
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )),
                }),
            }
        }
        match have.filter(|h| h.exists) {
            None => out.push(action(
                Op::Create,
                Resource::DomainName(name.clone()),
                vec![],
            )),
            Some(h)
                if !want.certificate.managed
                    && h.domain_certificate_arn != want.certificate.arn =>
            {
                out.push(action(
                    Op::Update,
                    Resource::DomainName(name.clone()),
                    change(
                        Field::Certificate,
                        h.domain_certificate_arn.clone(),
                        want.certificate.arn.clone(),
                    )
                    .into_iter()
                    .collect(),
                ))
            }
            Some(h)
                if want.certificate.managed
                    && h.certificate.managed
                    && h.certificate.arn.is_some()
                    && h.domain_certificate_arn != h.certificate.arn =>
            {
                out.push(action(
                    Op::Update,
                    Resource::DomainName(name.clone()),
                    change(
                        Field::Certificate,
                        h.domain_certificate_arn.clone(),
                        h.certificate.arn.clone(),
                    )
                    .into_iter()
                    .collect(),
                ))
            }
            Some(_) => {}
        }
        let mapping = |m: &Option<String>| {
            m.as_ref().map(|k| {
                if k.is_empty() {
                    "(root)".to_owned()
                } else {
                    format!("/{k}")
                }
            })
        };
        match have.and_then(|h| h.mapping.as_ref()) {
            None => out.push(action(
                Op::Create,
                Resource::ApiMapping(name.clone()),
                change(Field::Path, None, mapping(&want.mapping))
                    .into_iter()
                    .collect(),
            )),
            Some(k) if Some(k) != want.mapping.as_ref() => out.push(action(
                Op::Update,
                Resource::ApiMapping(name.clone()),
                change(
                    Field::Path,
                    mapping(&Some(k.clone())),
                    mapping(&want.mapping),
                )
                .into_iter()
                .collect(),
            )),
            Some(_) => {}
        }
        let have_records = have.is_some_and(|h| h.records);
        if want.records && !have_records {
            out.push(action(
                Op::Create,
                Resource::DnsRecords(name.clone()),
                change(Field::Zone, None, want.zone.clone())
                    .into_iter()
                    .collect(),
            ));
        } else if !want.records && have_records {
            out.push(action(
                Op::Delete,
                Resource::DnsRecords(name.clone()),
                vec![],
            ));
        }
    }
    for (name, have) in &observed.domains {
        if desired.domains.contains_key(name) {
            continue;
        }
        if have.mapping.is_some() {
            out.push(action(
                Op::Delete,
                Resource::ApiMapping(name.clone()),
                vec![],
            ));
        }
        // The domain, its records and its certificate are shared: they go
        // with the last mapping.
        if have.other_mappings > 0 {
            continue;
        }
        if have.records {
            out.push(action(
                Op::Delete,
                Resource::DnsRecords(name.clone()),
                vec![],
            ));
        }
        if have.exists {
            out.push(action(
                Op::Delete,
                Resource::DomainName(name.clone()),
                vec![],
            ));
        }
        if have.certificate.managed && have.certificate.arn.is_some() {
            out.push(action(
                Op::Delete,
                Resource::Certificate(name.clone()),
                vec![],
            ));
        }
    }
}

fn plan_api_deletion(have: &Api, out: &mut Vec<Action>) {
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    let mut parts = vec![
        n(have.routes.len(), "route", "routes"),
        n(have.integrations.len(), "integration", "integrations"),
    ];
    if !have.authorizers.is_empty() {
        parts.push(n(have.authorizers.len(), "authorizer", "authorizers"));
    }
    if let Some(s) = &have.stage {
        parts.push(format!("stage {}", s.name));
    }
    out.push(Action {
        op: Op::Delete,
        resource: Resource::Api(have.name.clone()),
        changes: vec![],
        reason: Some(format!("with its {}", parts.join(", "))),
    });
}

//! The planner: a pure function of (desired, observed) to an ordered list of
//! actions, and the types of a plan.
//!
//! No I/O and no SDK types. The order is deterministic: by phase (creates
//! and updates along dependencies, then deletions in the safe order of the
//! AWS guide; see `order`), then by resource. Values that may be secret
//! (environment variables) are marked sensitive and never rendered.
//!
//! Each update lists the fields that differ, typed (`Field`), so apply acts
//! on the plan instead of comparing states again (the `Action` methods).
//!
//! The planning is per resource family: `iam` (roles and their policies),
//! `lambda` (functions, code, invoke permissions), `api` (the API, its
//! integrations, authorizers, routes and route responses), `stage` (stage
//! settings and the deployment), `logs` (the access-log group and the
//! functions' log groups) and `domain`
//! (certificate, domain name, API mapping, DNS records).

mod api;
mod diff;
mod domain;
mod field;
mod iam;
mod lambda;
mod logs;
mod order;
mod stage;
#[cfg(test)]
mod tests;
mod widen;

use serde::Serialize;

use crate::names::LIVE_ALIAS;
use crate::state::{State, Tags};

pub use field::{Field, Setting};
pub use lambda::human_size;
pub use order::{Waits, chain_lengths, dependencies, phase};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "name")]
pub enum Resource {
    Role(String),
    /// An inline policy: (role, policy name).
    RolePolicy(String, String),
    Function(String),
    /// The code of a function, updated on its own.
    FunctionCode(String),
    /// A function's alias `live` with its provisioned concurrency, by
    /// function name.
    Alias(String),
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
    /// A function's log group, by its name (`/aws/lambda/<function>`).
    FunctionLogGroup(String),
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
            Resource::Alias(_) => "alias",
            Resource::Permission(..) => "permission",
            Resource::Api(_) => "api",
            Resource::Integration(_) => "integration",
            Resource::Authorizer(_) => "authorizer",
            Resource::Route(_) => "route",
            Resource::RouteResponse(_) => "route response",
            Resource::Stage(_) => "stage",
            Resource::Deployment(_) => "deployment",
            Resource::LogGroup(_) | Resource::FunctionLogGroup(_) => "log group",
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
            Resource::Alias(n) => format!("{n}:{LIVE_ALIAS}"),
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
            | Resource::FunctionLogGroup(n)
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
    /// What it widens in IAM, for a reviewer (`widen`): empty for most.
    pub widens: Vec<String>,
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
    /// timeout, layers, an environment variable, the logging config, the
    /// description, tracing, `/tmp` size, KMS key or VPC.
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
                    | Field::LogFormat
                    | Field::LogLevel
                    | Field::LogGroup
                    | Field::Description
                    | Field::Tracing
                    | Field::EphemeralStorage
                    | Field::KmsKeyArn
                    | Field::Vpc
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

    /// How many actions widen IAM.
    pub fn widening(&self) -> usize {
        self.actions.iter().filter(|a| !a.widens.is_empty()).count()
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
    iam::plan_roles(desired, observed, &mut actions);
    lambda::plan_functions(desired, observed, &mut actions);
    lambda::plan_permissions(desired, observed, &mut actions);
    api::plan_api(desired.api.as_ref(), observed.api.as_ref(), &mut actions);
    logs::plan_log_group(
        desired.log_group.as_ref(),
        observed.log_group.as_ref(),
        Resource::LogGroup,
        &mut actions,
    );
    logs::plan_function_log_groups(desired, observed, &mut actions);
    domain::plan_domains(desired, observed, &mut actions);
    actions.sort_by(|a, b| (phase(a), &a.resource).cmp(&(phase(b), &b.resource)));
    widen::mark(&mut actions, desired, observed);
    Plan { actions }
}

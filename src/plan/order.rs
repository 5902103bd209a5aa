//! The order of execution: the phase of each action (the plan's order) and
//! what each action waits for (`dependencies`), so that apply can overlap
//! independent chains up to the barrier phase and go phase by phase after.
//!
//! Phases, in order of execution: API → roles and their policies →
//! the functions' log groups → functions and their code → invoke permissions → integrations →
//! authorizers → routes → route responses → log group → stage →
//! certificate, domain name, API mapping, DNS records → deletions inside
//! the API → one deployment → the deletions outside the API. Those wait
//! for everything before them, and among themselves only for what they
//! depend on (`deletion`), not phase by phase: a domain's DNS records, then
//! its mapping, domain name and certificate; the stage after the mappings;
//! the API after its stage; a role after its inline policies and the
//! functions that use it (a function is found through its role when the
//! config no longer names it); a function's log group after its function
//! (so no invocation makes one again); the access-log group after the
//! stage and the API. The API, the functions and the role policies go at
//! once: DeleteApi takes the routes, integrations, authorizers and stage
//! with it.

use std::collections::BTreeMap;

use crate::names::{function_log_group, own_function};
use crate::state::{Authorization, State};

use super::{Action, Op, Resource};

/// The execution phase of an action; actions run phase by phase.
pub fn phase(a: &Action) -> u8 {
    use Resource as R;
    match (&a.resource, a.op) {
        (R::Role(_), Op::Delete) => 96,
        (R::Role(_), _) => 10,
        (R::RolePolicy(..), Op::Delete) => 95,
        (R::RolePolicy(..), _) => 11,
        (R::Function(_), Op::Delete) => 94,
        (R::Function(_), _) => 20,
        (R::FunctionCode(_), _) => 21,
        (R::Alias(_), Op::Delete) => 93,
        // After the code, before what invokes the alias.
        (R::Alias(_), _) => 25,
        (R::Api(_), Op::Delete) => 92,
        // First: everything else needs the API's id (the functions'
        // management endpoint, the role policies, the invoke permissions).
        (R::Api(_), _) => 5,
        (R::Permission(..), Op::Delete) => 93,
        (R::Permission(..), _) => 35,
        (R::Integration(_), Op::Delete) => 73,
        (R::Integration(_), _) => 40,
        (R::Authorizer(_), Op::Delete) => 73,
        (R::Authorizer(_), _) => 45,
        (R::Route(_), Op::Delete) => 72,
        (R::Route(_), _) => 50,
        (R::RouteResponse(_), Op::Delete) => 71,
        (R::RouteResponse(_), _) => 55,
        (R::Stage(_), Op::Delete) => 91,
        (R::Stage(_), _) => 60,
        (R::Deployment(_), _) => 80,
        // The stage writes to the log group: it must exist first.
        (R::LogGroup(_), Op::Delete) => 97,
        (R::LogGroup(_), _) => 58,
        // Before its function, so Lambda never makes an untagged one.
        (R::FunctionLogGroup(_), Op::Delete) => 98,
        (R::FunctionLogGroup(_), _) => 15,
        // The domain comes after the stage, so the API works at its own URL
        // even while a certificate waits for validation.
        (R::Certificate(_), Op::Delete) => 87,
        (R::Certificate(_), _) => 61,
        (R::DomainName(_), Op::Delete) => 86,
        (R::DomainName(_), _) => 62,
        (R::ApiMapping(_), Op::Delete) => 85,
        (R::ApiMapping(_), _) => 63,
        (R::DnsRecords(_), Op::Delete) => 84,
        (R::DnsRecords(_), _) => 64,
    }
}

/// The phase from which on an action waits for every action of the
/// earlier phases (the domain, the deployment and the deletions inside the
/// API); before it, an action waits only for what it uses.
const BARRIER_PHASE: u8 = 61;

/// The first phase of the deletions outside the API: they wait for every
/// action before them, then only for the deletions they depend on.
const DELETION_PHASE: u8 = 84;

/// The Lambda function an action works on, for running one function's
/// actions one after the other.
fn function_of(r: &Resource) -> Option<&str> {
    match r {
        Resource::Function(f)
        | Resource::FunctionCode(f)
        | Resource::Alias(f)
        | Resource::Permission(f, _) => Some(f),
        _ => None,
    }
}

/// What an action waits for before it starts: every action before index
/// `prefix`, and the actions in `on`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waits {
    pub prefix: usize,
    pub on: Vec<usize>,
}

/// For each action of `actions` (in plan order) what it must wait for.
/// Apply starts an action as soon as these are done, so independent chains
/// (the roles and the API, one function and another) overlap instead of
/// waiting phase by phase.
///
/// Before the barrier phase an action waits for: the API when it is being
/// created or changed (everything but roles and the log group uses its id);
/// its role (a policy, a function); its function (code, permissions, an
/// authorizer, but not the integration: see `Index::uses`); its
/// integration and authorizer (a route); its route (a route response); the
/// log group (the stage); and the previous action on the same function.
/// From the barrier phase on, an
/// action waits for every action of an earlier phase, as phases did; the
/// deletions outside the API wait for every action before them and for
/// the deletions they depend on (`Deletions::uses`, which reads which role
/// each function has from `observed`).
pub fn dependencies(actions: &[Action], desired: &State, observed: &State) -> Vec<Waits> {
    let index = Index::new(actions);
    let deletions = Deletions::new(actions, observed);
    let mut last_on_function: BTreeMap<&str, usize> = BTreeMap::new();
    let mut phase_start = 0;
    actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let pa = phase(a);
            if i > 0 && phase(&actions[i - 1]) != pa {
                phase_start = i;
            }
            let mut on: Vec<usize> = Vec::new();
            if let Some(f) = function_of(&a.resource) {
                on.extend(last_on_function.insert(f, i));
            }
            if pa >= DELETION_PHASE {
                on.extend(deletions.uses(&a.resource));
                on.retain(|&j| j < i);
                on.sort_unstable();
                on.dedup();
                return Waits {
                    prefix: deletions.first,
                    on,
                };
            }
            if pa >= BARRIER_PHASE {
                return Waits {
                    prefix: phase_start,
                    on,
                };
            }
            on.extend(index.uses(&a.resource, desired));
            // Only earlier phases: the plan's order is the execution order.
            on.retain(|&j| {
                j < i && (phase(&actions[j]) < pa || function_of(&a.resource).is_some())
            });
            on.sort_unstable();
            on.dedup();
            Waits { prefix: 0, on }
        })
        .collect()
}

/// How many actions, this one included, the longest chain of waits that
/// starts at each action holds (the action itself, then one that waits
/// for it, and so on): apply starts the longest chains first, so that the
/// round trips that end a run are not spent behind shorter work. Waits
/// point only backwards (an action waits for earlier ones), so one pass
/// from the end computes them; `prefix` waits count as waits on each
/// action before it.
pub fn chain_lengths(waits: &[Waits]) -> Vec<u32> {
    let n = waits.len();
    let mut length = vec![1u32; n];
    // The longest chain among the actions that wait for every action
    // before index p, by p.
    let mut behind_prefix = vec![0u32; n + 1];
    // Behind all actions after i: the longest of behind_prefix[p], p > i.
    let mut behind_later = 0u32;
    for i in (0..n).rev() {
        behind_later = behind_later.max(behind_prefix[i + 1]);
        length[i] = length[i].max(1 + behind_later);
        let w = &waits[i];
        for &j in &w.on {
            length[j] = length[j].max(1 + length[i]);
        }
        behind_prefix[w.prefix] = behind_prefix[w.prefix].max(length[i]);
    }
    length
}

/// Where the actions before the barrier phase are, by resource.
struct Index<'a> {
    by_resource: BTreeMap<&'a Resource, usize>,
    api: Option<usize>,
    log_group: Option<usize>,
}

impl<'a> Index<'a> {
    fn new(actions: &'a [Action]) -> Self {
        let mut index = Index {
            by_resource: BTreeMap::new(),
            api: None,
            log_group: None,
        };
        for (i, a) in actions.iter().enumerate() {
            if phase(a) >= BARRIER_PHASE {
                break;
            }
            match &a.resource {
                Resource::Api(_) => index.api = Some(i),
                Resource::LogGroup(_) => index.log_group = Some(i),
                r => {
                    index.by_resource.insert(r, i);
                }
            }
        }
        index
    }

    fn find(&self, r: Resource) -> Option<usize> {
        self.by_resource.get(&r).copied()
    }

    /// The actions a function reference (`name`, `name:live`, an external
    /// ARN) needs done first: the function's, and its alias's.
    fn function(&self, reference: &str) -> Vec<usize> {
        let Some(name) = own_function(reference) else {
            return Vec::new();
        };
        let alias = (name != reference)
            .then(|| self.find(Resource::Alias(name.to_owned())))
            .flatten();
        self.find(Resource::Function(name.to_owned()))
            .into_iter()
            .chain(alias)
            .collect()
    }

    /// The actions on what `r` uses (see `dependencies`).
    fn uses(&self, r: &Resource, desired: &State) -> Vec<usize> {
        use Resource as R;
        let api = desired.api.as_ref();
        let mut on = Vec::new();
        if !matches!(
            r,
            R::Role(_) | R::LogGroup(_) | R::FunctionLogGroup(_) | R::Api(_)
        ) {
            on.extend(self.api);
        }
        match r {
            R::RolePolicy(role, _) => on.extend(self.find(R::Role(role.clone()))),
            R::Function(f) => {
                let role = desired.functions.get(f).map(|x| x.role.clone());
                on.extend(role.and_then(|role| self.find(R::Role(role))));
            }
            R::FunctionCode(f) | R::Alias(f) => on.extend(self.find(R::Function(f.clone()))),
            // Not after the function's log group: API Gateway invokes
            // only through the deployment, which waits for everything (the
            // log group included), and a group Lambda made first is
            // tagged when creating ours finds it.
            R::Permission(f, _) => on.extend(self.function(f)),
            // API Gateway does not look the function up when an integration
            // names it (its ARN is known beforehand), and no integration
            // change goes live before the deployment, which waits for
            // everything: so an integration needs only the API.
            R::Integration(_) => {}
            R::Authorizer(n) => {
                let f = api
                    .and_then(|x| x.authorizers.get(n))
                    .map(|z| z.function.clone());
                on.extend(f.into_iter().flat_map(|f| self.function(&f)));
            }
            R::Route(k) => {
                let route = api.and_then(|x| x.routes.get(k));
                let f = route.and_then(|x| x.function.clone());
                on.extend(f.and_then(|f| self.find(R::Integration(f))));
                if let Some(Authorization::Custom(n)) = route.map(|x| &x.authorization) {
                    on.extend(self.find(R::Authorizer(n.clone())));
                }
            }
            R::RouteResponse(k) => on.extend(self.find(R::Route(k.clone()))),
            R::Stage(_) => on.extend(self.log_group),
            _ => {}
        }
        on
    }
}

/// Where the deletions outside the API are, by resource, and which role
/// each observed function has.
struct Deletions<'a> {
    /// The index of the first of them (every action before it comes first).
    first: usize,
    by_resource: BTreeMap<&'a Resource, usize>,
    observed: &'a State,
}

impl<'a> Deletions<'a> {
    fn new(actions: &'a [Action], observed: &'a State) -> Self {
        let first = actions
            .iter()
            .position(|a| phase(a) >= DELETION_PHASE)
            .unwrap_or(actions.len());
        let by_resource = actions[first..]
            .iter()
            .enumerate()
            .map(|(k, a)| (&a.resource, first + k))
            .collect();
        Deletions {
            first,
            by_resource,
            observed,
        }
    }

    fn find(&self, r: &Resource) -> Option<usize> {
        self.by_resource.get(r).copied()
    }

    /// The deletions of the kind `pick` accepts.
    fn all(&self, pick: impl Fn(&Resource) -> bool) -> Vec<usize> {
        self.by_resource
            .iter()
            .filter(|(r, _)| pick(r))
            .map(|(_, &i)| i)
            .collect()
    }

    /// The deletions the deletion of `r` waits for (see the header).
    fn uses(&self, r: &Resource) -> Vec<usize> {
        use Resource as R;
        let mut on = Vec::new();
        let mappings = || self.all(|x| matches!(x, R::ApiMapping(_)));
        let api_and_stage = || self.all(|x| matches!(x, R::Api(_) | R::Stage(_)));
        match r {
            R::ApiMapping(d) => on.extend(self.find(&R::DnsRecords(d.clone()))),
            R::DomainName(d) => {
                on.extend(self.find(&R::DnsRecords(d.clone())));
                on.extend(self.find(&R::ApiMapping(d.clone())));
            }
            R::Certificate(d) => on.extend(self.find(&R::DomainName(d.clone()))),
            R::Stage(_) => on.extend(mappings()),
            R::Api(_) => {
                on.extend(mappings());
                on.extend(self.all(|x| matches!(x, R::Stage(_))));
            }
            // The API stops invoking it first.
            R::Permission(..) | R::Alias(_) => on.extend(self.all(|x| matches!(x, R::Api(_)))),
            R::Role(role) => {
                on.extend(self.all(|x| matches!(x, R::RolePolicy(r, _) if r == role)));
                on.extend(self.all(|x| {
                    match x {
                        R::Function(f) => {
                            f == role
                                || self
                                    .observed
                                    .functions
                                    .get(f)
                                    .is_some_and(|o| &o.role == role)
                        }
                        _ => false,
                    }
                }));
            }
            R::FunctionLogGroup(group) => on.extend(
                self.all(|x| matches!(x, R::Function(f) if &function_log_group(f) == group)),
            ),
            R::LogGroup(_) => on.extend(api_and_stage()),
            _ => {}
        }
        on
    }
}

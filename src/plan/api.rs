//! Planning the WebSocket API and its definition: the API's own settings,
//! one Lambda proxy integration per function, the authorizers, the routes
//! and their route responses. The stage follows (`stage`), told whether the
//! definition changed.
//!
//! Deleting the API takes its routes, integrations, authorizers and stage
//! with it, so those are not deleted one by one.

use std::collections::BTreeMap;

use crate::state::{Api, Authorization, Route, Tags};

use super::diff::{action, change, tag_changes};
use super::{Action, Change, Field, Op, Resource, stage};

pub(super) fn plan_api(desired: Option<&Api>, observed: Option<&Api>, out: &mut Vec<Action>) {
    let Some(want) = desired else {
        out.extend(observed.map(deletion));
        return;
    };
    let empty_api;
    let have = match observed {
        Some(h) => {
            plan_api_update(h, want, out);
            h
        }
        None => {
            out.push(action(Op::Create, Resource::Api(want.name.clone()), vec![]));
            empty_api = empty(&want.name);
            &empty_api
        }
    };
    plan_integrations(want, have, out);
    plan_authorizers(want, have, out);
    plan_routes(want, have, out);
    let definition_changed = out.iter().any(|a| a.resource.in_api_definition());
    stage::plan_stage(
        want.stage.as_ref(),
        have.stage.as_ref(),
        definition_changed,
        out,
    );
}

/// An API with nothing in it yet, to compare a new one with.
fn empty(name: &str) -> Api {
    Api {
        id: String::new(),
        name: name.to_owned(),
        description: None,
        route_selection_expression: String::new(),
        tags: Tags::new(),
        integrations: BTreeMap::new(),
        authorizers: BTreeMap::new(),
        routes: BTreeMap::new(),
        stage: None,
    }
}

/// The settings UpdateApi sets, and the tags.
fn plan_api_update(have: &Api, want: &Api, out: &mut Vec<Action>) {
    let mut changes = Vec::new();
    changes.extend(change(
        Field::Name,
        Some(have.name.clone()),
        Some(want.name.clone()),
    ));
    changes.extend(change(
        Field::Description,
        have.description.clone(),
        want.description.clone(),
    ));
    changes.extend(change(
        Field::RouteSelectionExpression,
        Some(have.route_selection_expression.clone()),
        Some(want.route_selection_expression.clone()),
    ));
    tag_changes(&have.tags, &want.tags, &mut changes);
    if !changes.is_empty() {
        out.push(action(
            Op::Update,
            Resource::Api(want.name.clone()),
            changes,
        ));
    }
}

fn plan_integrations(want: &Api, have: &Api, out: &mut Vec<Action>) {
    for (f, w) in &want.integrations {
        let r = Resource::Integration(f.clone());
        match have.integrations.get(f) {
            None => out.push(action(Op::Create, r, vec![])),
            Some(h) => {
                let c = change(
                    Field::IntegrationTimeout,
                    Some(format!("{} ms", h.timeout_ms)),
                    Some(format!("{} ms", w.timeout_ms)),
                );
                if let Some(c) = c {
                    out.push(action(Op::Update, r, vec![c]));
                }
            }
        }
    }
    for f in have.integrations.keys() {
        if !want.integrations.contains_key(f) {
            out.push(action(Op::Delete, Resource::Integration(f.clone()), vec![]));
        }
    }
}

fn plan_authorizers(want: &Api, have: &Api, out: &mut Vec<Action>) {
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
}

/// The routes and their route responses.
fn plan_routes(want: &Api, have: &Api, out: &mut Vec<Action>) {
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
            Some(h) => plan_route_update(key, h, r, out),
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
}

/// A route that exists: its target and authorization, and whether it has
/// its route response.
fn plan_route_update(key: &str, have: &Route, want: &Route, out: &mut Vec<Action>) {
    let mut c = Vec::new();
    c.extend(change(
        Field::Function,
        have.function.clone(),
        want.function.clone(),
    ));
    c.extend(change(
        Field::Authorization,
        Some(authorization_text(&have.authorization)),
        Some(authorization_text(&want.authorization)),
    ));
    if !c.is_empty() {
        out.push(action(Op::Update, Resource::Route(key.to_owned()), c));
    }
    let response = Resource::RouteResponse(key.to_owned());
    match (have.returns_response, want.returns_response) {
        (false, true) => out.push(action(Op::Create, response, vec![])),
        (true, false) => out.push(action(Op::Delete, response, vec![])),
        _ => {}
    }
}

fn authorization_text(a: &Authorization) -> String {
    match a {
        Authorization::None => "none".to_owned(),
        Authorization::Iam => "iam".to_owned(),
        Authorization::Custom(n) => format!("authorizer {n}"),
    }
}

/// Deleting the API, with what goes with it.
fn deletion(have: &Api) -> Action {
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
    Action {
        op: Op::Delete,
        resource: Resource::Api(have.name.clone()),
        changes: vec![],
        reason: Some(format!("with its {}", parts.join(", "))),
        widens: Vec::new(),
    }
}

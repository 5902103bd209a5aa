//! Planning the stage: its default-route and per-route settings, stage
//! variables, access logging and tags, and the one deployment that makes
//! the stage run the API definition the config describes.

use std::collections::BTreeSet;

use crate::state::{RouteSettings, Stage};

use super::diff::{action, change, diff_map, tag_changes};
use super::{Action, Change, Field, Op, Resource, Setting};

/// `definition_changed`: the plan changes routes, integrations or
/// authorizers, so the stage needs a new deployment whatever it runs.
pub(super) fn plan_stage(
    want: Option<&Stage>,
    have: Option<&Stage>,
    definition_changed: bool,
    out: &mut Vec<Action>,
) {
    let Some(ws) = want else { return };
    let r = Resource::Stage(ws.name.clone());
    match have {
        None => out.push(action(Op::Create, r, vec![])),
        Some(hs) => {
            let c = stage_changes(hs, ws);
            if !c.is_empty() {
                out.push(action(Op::Update, r, c));
            }
        }
    }
    out.extend(deployment(ws, have, definition_changed));
}

fn stage_changes(hs: &Stage, ws: &Stage) -> Vec<Change> {
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
    c
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

/// One deployment when the definition changed, or when the stage does not
/// run the definition it should (changed out of band, or a previous run
/// stopped before deploying).
fn deployment(ws: &Stage, have: Option<&Stage>, definition_changed: bool) -> Option<Action> {
    let deployed = have.and_then(|s| s.deployed_definition.clone());
    let wanted = ws.deployed_definition.clone();
    if !definition_changed && deployed == wanted {
        return None;
    }
    let reason = if have.is_none() || deployed.is_none() {
        "the stage has no deployment of this API yet"
    } else if definition_changed {
        "routes, integrations or authorizers change"
    } else {
        "changes not yet deployed to the stage"
    };
    Some(Action {
        op: Op::Create,
        resource: Resource::Deployment(ws.name.clone()),
        changes: change(Field::Definition, deployed, wanted)
            .into_iter()
            .collect(),
        reason: Some(reason.to_owned()),
        widens: Vec::new(),
    })
}

//! The outputs of a deployed stage: its URL, the `@connections` endpoint,
//! the custom domain, and each route's function.
//!
//! They come from state (desired after a deploy, observed for `info`) and
//! the endpoint AWS returned for the API, so `info` needs nothing from the
//! config but the app's identity, and the URLs are right in every
//! partition.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::Aws;
use crate::aws::observe::domain::target;
use crate::config::model::Config;
use crate::names::stage_url;
use crate::state::State;

/// The outputs of a deployed stage.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Outputs {
    pub url: String,
    pub management_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_domain_url: Option<String>,
    /// With external DNS: the name to point a CNAME at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_domain_target: Option<String>,
    /// Function ARN by route key.
    pub functions: BTreeMap<String, String>,
}

/// The deployed API: its id and the endpoint AWS returned for it.
pub struct Deployed<'a> {
    pub api_id: &'a str,
    pub api_endpoint: Option<&'a str>,
}

/// The outputs of `state`'s routes on the deployed API; `domain` is
/// whether the custom domain is in place, and its target name when DNS is
/// external.
pub fn outputs(
    aws: &Aws,
    config: &Config,
    api: &Deployed,
    state: &State,
    domain: Option<Option<String>>,
) -> Outputs {
    let place = aws.place();
    let stage = config.stage.as_str();
    let url = stage_url(api.api_endpoint, stage, || {
        place.websocket_url(api.api_id, stage)
    });
    // The `@connections` endpoint is the WebSocket URL's host over HTTPS.
    let management_endpoint = match url.strip_prefix("wss://") {
        Some(rest) => format!("https://{rest}"),
        None => place.management_endpoint(api.api_id, stage),
    };
    let routes = state.api.iter().flat_map(|a| &a.routes);
    Outputs {
        url,
        management_endpoint,
        custom_domain_url: config
            .domain
            .as_ref()
            .filter(|_| domain.is_some())
            .map(|d| match &d.path {
                Some(p) => format!("wss://{}/{p}", d.name),
                None => format!("wss://{}", d.name),
            }),
        custom_domain_target: domain.flatten(),
        functions: routes
            .filter_map(|(k, r)| {
                let f = r.function.as_ref()?;
                Some((k.clone(), place.reference_arn(f)))
            })
            .collect(),
    }
}

/// Whether the configured domain is in place, with its CNAME target when
/// DNS is external.
pub async fn domain(aws: &Aws, config: &Config) -> Option<Option<String>> {
    let d = config.domain.as_ref()?;
    let target = target(aws, &d.name).await.ok().flatten()?;
    Some(d.external.then_some(target.dns_name))
}

//! Every name, ARN and URL wsdeploy derives, in one place.
//!
//! Names that come from the app and stage (functions, the role path, log
//! groups, the lock) are plain functions. ARNs and URLs depend on where they
//! live, so they hang off `Place` (partition, region, account), and are
//! partition-aware: `aws`, `aws-cn` (whose hosts end in `.amazonaws.com.cn`),
//! `aws-us-gov` and the isolated partitions.
//!
//! Nothing here reads the config or talks to AWS: config, desired state and
//! the AWS adapter all derive names through this module, so that no two of
//! them can disagree on one.

/// Statement-id prefix and marker values wsdeploy writes.
pub const ROLE_POLICY_NAME: &str = "wsdeploy";
/// The statement id of the invoke permission for the API's routes.
pub const SID_INVOKE: &str = "wsdeploy-invoke";
/// The statement id of the invoke permission for the authorizer.
pub const SID_AUTHORIZER: &str = "wsdeploy-authorizer";

/// The alias that integrations invoke when a function has provisioned
/// concurrency.
pub const LIVE_ALIAS: &str = "live";

/// The statement ids of this app and stage's invoke permissions on an
/// external function, which other apps may use too: `wsdeploy_<app>_<stage>_
/// <kind>` (an app name has no `_`, so the parts cannot be confused).
pub fn external_sid(app: &str, stage: &str, kind: ExternalSid) -> String {
    let kind = match kind {
        ExternalSid::Invoke => "invoke",
        ExternalSid::Authorizer => "authorizer",
    };
    format!("wsdeploy_{app}_{stage}_{kind}")
}

/// Which invoke permission on an external function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalSid {
    Invoke,
    Authorizer,
}

/// How state names the function an integration, authorizer or permission
/// targets: an ARN is reduced to `name` (or `name:live`, its alias) when it
/// names one of this app and stage's functions, and kept whole for any
/// other (an external function). `None` when `arn` is no function ARN.
pub fn reference_of_arn(arn: &str, app: &str, stage: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ["arn", _, "lambda", _, _, "function", name, qualifier @ ..] = parts.as_slice() else {
        return None;
    };
    let ours = name.starts_with(&format!("{app}-{stage}-"));
    Some(match qualifier {
        [] if ours => (*name).to_owned(),
        [q] if ours && *q == LIVE_ALIAS => format!("{name}:{LIVE_ALIAS}"),
        _ => arn.to_owned(),
    })
}

/// The function of this app a reference names (`name` for `name` and
/// `name:live`), or `None` for an external function's ARN.
pub fn own_function(reference: &str) -> Option<&str> {
    if reference.starts_with("arn:") {
        return None;
    }
    Some(reference.split(':').next().unwrap_or(reference))
}

/// The function ARN in an integration or authorizer URI (or the ARN
/// itself).
pub fn arn_of_uri(uri: &str) -> &str {
    uri.split("/functions/")
        .nth(1)
        .map_or(uri, |rest| rest.trim_end_matches("/invocations"))
}
/// Marks a deployment made by wsdeploy; the definition hash follows.
pub const DEPLOYMENT_PREFIX: &str = "wsdeploy definition ";

/// The stage's description after wsdeploy deployed it: the definition hash
/// and the id of the deployment that froze it. GetStages returns it with
/// the stage's current deployment id, so the hash is known without
/// GetDeployment while the two ids agree; a deployment made since (by
/// hand) makes them differ.
pub fn stage_marker(hash: &str, deployment_id: &str) -> String {
    format!("{DEPLOYMENT_PREFIX}{hash} deployment {deployment_id}")
}

/// The definition hash a stage's description records for the deployment
/// `deployment_id`; `None` when it records another one, or nothing.
pub fn marked_definition(description: &str, deployment_id: &str) -> Option<String> {
    let (hash, id) = description
        .strip_prefix(DEPLOYMENT_PREFIX)?
        .split_once(" deployment ")?;
    (id == deployment_id && !hash.is_empty()).then(|| hash.to_owned())
}

/// The environment variables wsdeploy injects into every function.
pub const ENV_MANAGEMENT_ENDPOINT: &str = "WSDEPLOY_MANAGEMENT_ENDPOINT";
pub const ENV_APP: &str = "WSDEPLOY_APP";
pub const ENV_STAGE: &str = "WSDEPLOY_STAGE";
/// The prefix reserved for them (users may not set such variables).
pub const ENV_PREFIX: &str = "WSDEPLOY_";

/// The partition of a region, known from its name (STS confirms it).
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| region.starts_with(p))
        .map_or("aws", |(_, partition)| partition)
}

/// The DNS suffix of a partition's service endpoints.
pub fn dns_suffix(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        "aws-iso-e" => "cloud.adc-e.uk",
        "aws-iso-f" => "csp.hci.ic.gov",
        _ => "amazonaws.com",
    }
}

/// The longest DNS suffix of any partition, for size limits that must hold
/// wherever the app is deployed.
pub const LONGEST_DNS_SUFFIX: &str = "amazonaws.com.cn";

/// A function's name: `<app>-<stage>-<key>`.
pub fn function_name(app: &str, stage: &str, key: &str) -> String {
    format!("{app}-{stage}-{key}")
}

/// The function key a route gets when it names a handler directly: the
/// route key without `$`.
pub fn implicit_function(route_key: &str) -> String {
    route_key.trim_start_matches('$').to_owned()
}

/// The path of every role wsdeploy makes for an app and stage.
pub fn role_path(app: &str, stage: &str) -> String {
    format!("/wsdeploy/{app}/{stage}/")
}

/// The access-log group wsdeploy manages for a stage.
pub fn access_log_group(app: &str, stage: &str) -> String {
    format!("/aws/apigateway/{app}-{stage}")
}

/// The log group Lambda writes a function's logs to.
pub fn function_log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// The log group that is the deploy lock of an app and stage.
pub fn lock_group(app: &str, stage: &str) -> String {
    format!("/wsdeploy/locks/{app}/{stage}")
}

/// The default hosted zone of a domain: the name without its first label,
/// or the name itself when that would leave a single label (an apex
/// domain).
pub fn default_zone(name: &str) -> String {
    let body = name.strip_prefix("*.").unwrap_or(name);
    if name.starts_with("*.") {
        return body.to_owned();
    }
    match body.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest.to_owned(),
        _ => body.to_owned(),
    }
}

/// Where resources live: everything an ARN or URL needs besides the name.
/// `account_id` may be empty for ARNs that have none (API Gateway's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
}

impl Place<'_> {
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            self.partition, self.region, self.account_id
        )
    }

    /// The ARN a function reference stands for: an external function's
    /// ARN as it is, else one of ours (`name`, or `name:live`) here.
    pub fn reference_arn(&self, reference: &str) -> String {
        if reference.starts_with("arn:") {
            reference.to_owned()
        } else {
            self.function_arn(reference)
        }
    }

    pub fn role_arn(&self, path: &str, name: &str) -> String {
        format!(
            "arn:{}:iam::{}:role{path}{name}",
            self.partition, self.account_id
        )
    }

    pub fn log_group_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:logs:{}:{}:log-group:{name}",
            self.partition, self.region, self.account_id
        )
    }

    /// The API Gateway management ARN of an API (for tagging).
    pub fn api_arn(&self, api_id: &str) -> String {
        format!(
            "arn:{}:apigateway:{}::/apis/{api_id}",
            self.partition, self.region
        )
    }

    pub fn stage_arn(&self, api_id: &str, stage: &str) -> String {
        format!("{}/stages/{stage}", self.api_arn(api_id))
    }

    pub fn domain_arn(&self, domain: &str) -> String {
        format!(
            "arn:{}:apigateway:{}::/domainnames/{domain}",
            self.partition, self.region
        )
    }

    /// The execute-api ARN of an API: invoke permissions and
    /// `@connections` policies are scoped under it.
    pub fn execute_api_arn(&self, api_id: &str) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{api_id}",
            self.partition, self.region, self.account_id
        )
    }

    /// What a function's role may call `@connections` on: this API's stage.
    pub fn connections_arn(&self, api_id: &str, stage: &str) -> String {
        format!("{}/{stage}/*/@connections/*", self.execute_api_arn(api_id))
    }

    /// The integration URI API Gateway uses to invoke a function
    /// reference (see `reference_of_arn`).
    pub fn invocation_uri(&self, reference: &str) -> String {
        format!(
            "arn:{}:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations",
            self.partition,
            self.region,
            self.reference_arn(reference)
        )
    }

    fn execute_api_host(&self, api_id: &str) -> String {
        format!(
            "{api_id}.execute-api.{}.{}",
            self.region,
            dns_suffix(self.partition)
        )
    }

    /// The WebSocket URL of a stage, when AWS did not say it.
    pub fn websocket_url(&self, api_id: &str, stage: &str) -> String {
        format!("wss://{}/{stage}", self.execute_api_host(api_id))
    }

    /// The `@connections` endpoint of a stage.
    pub fn management_endpoint(&self, api_id: &str, stage: &str) -> String {
        format!("https://{}/{stage}", self.execute_api_host(api_id))
    }
}

/// A stage's WebSocket URL from the endpoint AWS returned for the API
/// (`wss://<id>.execute-api.<region>.<suffix>`), which is right in every
/// partition; `fallback` when AWS returned none.
pub fn stage_url(
    api_endpoint: Option<&str>,
    stage: &str,
    fallback: impl FnOnce() -> String,
) -> String {
    match api_endpoint.map(|e| e.trim_end_matches('/')) {
        Some(e) if !e.is_empty() => format!("{e}/{stage}"),
        _ => fallback(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stage_marker_counts_only_for_its_deployment() {
        let m = super::stage_marker("abc123", "dep1");
        assert_eq!(
            super::marked_definition(&m, "dep1").as_deref(),
            Some("abc123")
        );
        assert_eq!(super::marked_definition(&m, "dep2"), None);
        assert_eq!(super::marked_definition("", "dep1"), None);
        assert_eq!(super::marked_definition("my stage", "dep1"), None);
        assert_eq!(
            super::marked_definition("wsdeploy definition abc123", "dep1"),
            None
        );
    }

    use super::*;

    #[test]
    fn references_of_function_arns() {
        let base = "arn:aws:lambda:us-east-1:123456789012:function";
        let of = |arn: String| reference_of_arn(&arn, "chat", "dev");
        assert_eq!(
            of(format!("{base}:chat-dev-connect")).as_deref(),
            Some("chat-dev-connect")
        );
        assert_eq!(
            of(format!("{base}:chat-dev-connect:live")).as_deref(),
            Some("chat-dev-connect:live")
        );
        // Another qualifier, or not our name: an external function.
        let v3 = format!("{base}:chat-dev-connect:3");
        assert_eq!(of(v3.clone()), Some(v3));
        let other = format!("{base}:existing");
        assert_eq!(of(other.clone()), Some(other));
        assert_eq!(of("https://example.com".to_owned()), None);
        assert_eq!(
            own_function("chat-dev-connect:live"),
            Some("chat-dev-connect")
        );
        assert_eq!(own_function("chat-dev-connect"), Some("chat-dev-connect"));
        assert_eq!(own_function(&format!("{base}:x")), None);
        let uri = format!(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{base}:f/invocations"
        );
        assert_eq!(arn_of_uri(&uri), format!("{base}:f"));
        // And back.
        let place = Place {
            partition: "aws",
            region: "us-east-1",
            account_id: "123456789012",
        };
        assert_eq!(place.invocation_uri("f"), uri);
        assert_eq!(
            place.reference_arn(&format!("{base}:x")),
            format!("{base}:x")
        );
        assert_eq!(
            external_sid("chat", "dev_1", ExternalSid::Authorizer),
            "wsdeploy_chat_dev_1_authorizer"
        );
    }

    #[test]
    fn partitions_from_region_names() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("eu-central-2"), "aws");
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn china_urls_end_in_com_cn() {
        let place = Place {
            partition: "aws-cn",
            region: "cn-north-1",
            account_id: "123456789012",
        };
        assert_eq!(
            place.management_endpoint("abc", "dev"),
            "https://abc.execute-api.cn-north-1.amazonaws.com.cn/dev"
        );
        assert_eq!(
            place.websocket_url("abc", "dev"),
            "wss://abc.execute-api.cn-north-1.amazonaws.com.cn/dev"
        );
        assert_eq!(
            place.function_arn("f"),
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:f"
        );
        let gov = Place {
            partition: "aws-us-gov",
            region: "us-gov-west-1",
            account_id: "1",
        };
        assert_eq!(
            gov.management_endpoint("abc", "dev"),
            "https://abc.execute-api.us-gov-west-1.amazonaws.com/dev"
        );
    }

    #[test]
    fn the_endpoint_aws_returned_wins() {
        let url = stage_url(
            Some("wss://abc.execute-api.cn-north-1.amazonaws.com.cn"),
            "dev",
            || unreachable!(),
        );
        assert_eq!(url, "wss://abc.execute-api.cn-north-1.amazonaws.com.cn/dev");
        assert_eq!(stage_url(None, "dev", || "x".to_owned()), "x");
    }

    #[test]
    fn domains_and_zones() {
        assert_eq!(default_zone("ws.example.com"), "example.com");
        assert_eq!(default_zone("*.example.com"), "example.com");
        assert_eq!(default_zone("example.com"), "example.com");
        assert_eq!(default_zone("a.b.example.co.uk"), "b.example.co.uk");
    }
}

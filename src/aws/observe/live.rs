//! Observing a function's alias `live` (provisioned concurrency): whether
//! it exists, whether its version still has `$LATEST`'s code and
//! configuration, the provisioned concurrency configured on it, and
//! wsdeploy's statements in the alias's own resource policy. The three
//! reads go out at once.

use std::collections::BTreeMap;

use super::function::{from_configuration, policy_statements};
use crate::aws::error::ErrorKind;
use crate::aws::util::found;
use crate::aws::{Aws, AwsError};
use crate::names::LIVE_ALIAS;
use crate::state::{Function, Live, Permission};

/// The alias of `latest` (the function as `$LATEST` is) and the
/// statements of its policy; `None` when the function has no alias.
pub(super) async fn read_live(
    aws: &Aws,
    latest: &Function,
    own_path: &str,
) -> Result<Option<(Live, BTreeMap<String, Permission>)>, AwsError> {
    let name = latest.name.as_str();
    let qualified = format!("{name}:{LIVE_ALIAS}");
    let version = aws.read(async {
        let got = aws
            .lambda
            .get_function()
            .function_name(name)
            .qualifier(LIVE_ALIAS)
            .send()
            .await;
        found(got.map_err(|e| AwsError::from_sdk("GetFunction", &qualified, e)))
    });
    let provisioned = aws.read(async {
        let got = aws
            .lambda
            .get_provisioned_concurrency_config()
            .function_name(name)
            .qualifier(LIVE_ALIAS)
            .send()
            .await;
        match got.map_err(|e| AwsError::from_sdk("GetProvisionedConcurrencyConfig", &qualified, e))
        {
            Ok(c) => Ok(c.requested_provisioned_concurrent_executions()),
            // No configuration on the alias (or no alias).
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    });
    let policy = aws.read(policy_statements(aws, &qualified, &|sid| {
        sid.starts_with("wsdeploy-")
    }));
    let (version, provisioned, policy) = tokio::join!(version, provisioned, policy);
    let Some(c) = version?.and_then(|v| v.configuration) else {
        return Ok(None);
    };
    let at_version = from_configuration(name, &c, own_path);
    let live = Live {
        provisioned: provisioned?
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        current: same_code_and_configuration(&at_version, latest),
    };
    Ok(Some((live, policy?)))
}

/// Whether a version was published from `$LATEST` as it is now: the same
/// package and every setting a version freezes.
fn same_code_and_configuration(version: &Function, latest: &Function) -> bool {
    let frozen = |f: &Function| Function {
        code_size: None,
        tags: Default::default(),
        reserved_concurrency: None,
        live: None,
        ..f.clone()
    };
    frozen(version) == frozen(latest)
}

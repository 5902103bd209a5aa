//! Confirming that an app and stage still has nothing deployed: the read
//! under the lock of a first deploy, after a read found nothing.
//!
//! Another run of wsdeploy that deployed (or stopped halfway) between
//! that first read and this run's lock left at least one of: the API
//! (made before anything that needs its id: functions, permissions,
//! integrations, the domain), a role under the app and stage's path (made
//! before its function), a function's log group, or the access-log group
//! (both need nothing before them). Four listings, one round, tell all of
//! them apart from nothing; anything else made meanwhile (by hand, with a
//! name wsdeploy uses) is refused by AWS when wsdeploy creates its own, as
//! it would be after a full read.

use super::{api, iam, logs};
use crate::aws::{Aws, AwsError};
use crate::config::model::Config;
use crate::names::access_log_group;

/// Whether nothing of the app and stage exists, not even a resource in
/// the way (an API with its name).
pub async fn still_nothing(aws: &Aws, config: &Config) -> Result<bool, AwsError> {
    let (app, stage) = (config.app.as_str(), config.stage.as_str());
    let access = access_log_group(app, stage);
    let (api, roles, function_groups, access_group) = tokio::join!(
        api::find_api(aws, config),
        iam::list_own(aws, app, stage),
        logs::any_function_log_group(aws, (app, stage)),
        logs::find_log_group(aws, &access),
    );
    let (found, foreign) = api?;
    Ok(found.is_none()
        && foreign.is_empty()
        && roles?.is_empty()
        && !function_groups?
        && access_group?.is_none())
}

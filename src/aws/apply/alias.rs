//! Applying a function's alias `live`: publish a version of `$LATEST`,
//! point the alias at it, configure its provisioned concurrency and wait
//! (bounded) until Lambda has it ready; or take it all away.

use std::time::{Duration, Instant};

use super::{Applier, LAMBDA_WAIT};
use crate::aws::AwsError;
use crate::aws::error::ErrorKind;
use crate::aws::util::{gone_is_done, retry};
use crate::names::LIVE_ALIAS;
use crate::plan::{Action, Field, Op};
use crate::state::State;

impl Applier<'_> {
    pub(super) async fn run_alias(
        &self,
        a: &Action,
        want: &State,
        name: &str,
    ) -> Result<(), AwsError> {
        let live = want.functions.get(name).and_then(|f| f.live.as_ref());
        let Some(live) = live.filter(|_| a.op != Op::Delete) else {
            return self.delete_alias(name).await;
        };
        let publish = a.op == Op::Create || a.change(&Field::Version).is_some();
        if publish {
            let version = self.publish(name).await?;
            self.point_alias(name, &version).await?;
        }
        if a.op == Op::Create || a.change(&Field::ProvisionedConcurrency).is_some() {
            self.put_provisioned(name, live.provisioned).await?;
        }
        if publish || a.change(&Field::ProvisionedConcurrency).is_some() {
            self.wait_provisioned(name).await?;
        }
        Ok(())
    }

    /// Publishes `$LATEST` (Lambda answers the latest version when nothing
    /// changed since it was published).
    async fn publish(&self, name: &str) -> Result<String, AwsError> {
        let out = retry(self.budget, || async {
            self.aws
                .lambda
                .publish_version()
                .function_name(name)
                // No description of its own: a version keeps the
                // function's, which is part of what it freezes.
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("PublishVersion", name, e))
        })
        .await?;
        out.version().map(str::to_owned).ok_or_else(|| {
            AwsError::local(
                "PublishVersion",
                &format!("Lambda published a version of {name} without its number"),
                "run deploy again; if it persists, report it",
            )
        })
    }

    /// Points the alias at `version`, making it when it does not exist.
    async fn point_alias(&self, name: &str, version: &str) -> Result<(), AwsError> {
        let lambda = &self.aws.lambda;
        let update = || async {
            lambda
                .update_alias()
                .function_name(name)
                .name(LIVE_ALIAS)
                .function_version(version)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("UpdateAlias", name, e))
        };
        match retry(self.budget, update).await {
            Err(e) if e.kind == ErrorKind::NotFound => {}
            other => return other,
        }
        let create = retry(self.budget, || async {
            lambda
                .create_alias()
                .function_name(name)
                .name(LIVE_ALIAS)
                .function_version(version)
                .description("the version the API invokes, managed by wsdeploy")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("CreateAlias", name, e))
        })
        .await;
        match create {
            // Made meanwhile (a run that stopped halfway): move it.
            Err(e) if e.kind == ErrorKind::AlreadyExists => retry(self.budget, update).await,
            other => other,
        }
    }

    async fn put_provisioned(&self, name: &str, n: u32) -> Result<(), AwsError> {
        retry(self.budget, || async {
            self.aws
                .lambda
                .put_provisioned_concurrency_config()
                .function_name(name)
                .qualifier(LIVE_ALIAS)
                .provisioned_concurrent_executions(i32::try_from(n).unwrap_or(i32::MAX))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("PutProvisionedConcurrencyConfig", name, e))
        })
        .await
    }

    /// Waits until the alias's provisioned concurrency is READY, at most
    /// `LAMBDA_WAIT`; FAILED ends with Lambda's reason.
    async fn wait_provisioned(&self, name: &str) -> Result<(), AwsError> {
        let op = "GetProvisionedConcurrencyConfig";
        let start = Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            let got = retry(self.budget, || async {
                self.aws
                    .lambda
                    .get_provisioned_concurrency_config()
                    .function_name(name)
                    .qualifier(LIVE_ALIAS)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(op, name, e))
            })
            .await?;
            match got.status().map(|s| s.as_str()) {
                Some("READY") | None => return Ok(()),
                Some("FAILED") => {
                    let reason = got.status_reason().unwrap_or("no reason given");
                    return Err(AwsError::local(
                        op,
                        &format!("provisioned concurrency of {name}:{LIVE_ALIAS} failed: {reason}"),
                        "check the account's concurrency limits, then deploy again",
                    ));
                }
                _ if start.elapsed() > LAMBDA_WAIT => {
                    return Err(AwsError::local(
                        op,
                        &format!(
                            "provisioned concurrency of {name}:{LIVE_ALIAS} was not ready within {} s",
                            LAMBDA_WAIT.as_secs()
                        ),
                        "run deploy again to keep waiting",
                    ));
                }
                _ => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    async fn delete_alias(&self, name: &str) -> Result<(), AwsError> {
        let lambda = &self.aws.lambda;
        let r = retry(self.budget, || async {
            lambda
                .delete_provisioned_concurrency_config()
                .function_name(name)
                .qualifier(LIVE_ALIAS)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteProvisionedConcurrencyConfig", name, e))
        })
        .await;
        gone_is_done(r)?;
        let r = retry(self.budget, || async {
            lambda
                .delete_alias()
                .function_name(name)
                .name(LIVE_ALIAS)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteAlias", name, e))
        })
        .await;
        gone_is_done(r)
    }
}

//! Applying Lambda actions: functions (created Active, configuration and
//! tags updated, code uploaded, conditionally on the lock-free path), and
//! wsdeploy's invoke permissions in their resource policies.

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::types as lt;
use aws_smithy_types::Blob;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::{Applier, LAMBDA_WAIT, Shared};
use crate::aws::util::{gone_is_done, retag, retry};
use crate::aws::{AwsError, ErrorKind};
use crate::build::Package;
use crate::names::{function_log_group, role_path};
use crate::plan::{Action, Field, Op, Resource};
use crate::state::{self, State};

impl Applier<'_> {
    pub(super) async fn run_lambda(
        &self,
        a: &Action,
        want: &State,
        shared: &Shared,
    ) -> Result<(), AwsError> {
        match (&a.resource, a.op) {
            (Resource::Function(n), Op::Create) => self.create_function(want, n).await,
            (Resource::Function(n), Op::Delete) => self.delete_function(n).await,
            (Resource::Function(n), _) => self.update_function(a, want, n).await,
            (Resource::FunctionCode(n), _) => self.update_code(want, n, shared).await,
            (Resource::Permission(f, sid), Op::Delete) => self.remove_permission(f, sid).await,
            (Resource::Permission(f, sid), op) => {
                self.add_permission(want, f, sid, op == Op::Replace).await
            }
            _ => Ok(()),
        }
    }

    fn package(&self, name: &str) -> Result<&Package, AwsError> {
        self.packages.get(name).map(|p| p.as_ref()).ok_or_else(|| {
            AwsError::local(
                "uploading code",
                &format!("no package was built for `{name}`"),
                "this is a bug in wsdeploy",
            )
        })
    }

    fn environment(f: &state::Function) -> lt::Environment {
        lt::Environment::builder()
            .set_variables(Some(f.environment.clone().into_iter().collect()))
            .build()
    }

    /// The LoggingConfig: the format, the application level for JSON, and
    /// always the function's own log group (which wsdeploy manages).
    fn logging(f: &state::Function) -> lt::LoggingConfig {
        lt::LoggingConfig::builder()
            .log_format(lt::LogFormat::from(f.log_format.as_str()))
            .set_application_log_level(f.log_level.as_deref().map(lt::ApplicationLogLevel::from))
            .log_group(function_log_group(&f.name))
            .build()
    }

    async fn create_function(&self, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(f) = want.functions.get(name) else {
            return Ok(());
        };
        let pkg = self.package(name)?;
        let role_arn = self.role_arn(f);
        let out = retry(self.budget, || async {
            self.aws
                .lambda
                .create_function()
                .function_name(name)
                .runtime(lt::Runtime::from(f.runtime.as_str()))
                .role(&role_arn)
                .handler(&f.handler)
                .code(
                    lt::FunctionCode::builder()
                        .zip_file(Blob::new(pkg.bytes.clone()))
                        .build(),
                )
                .memory_size(f.memory_size as i32)
                .timeout(f.timeout as i32)
                .architectures(lt::Architecture::from(f.architecture.as_str()))
                .environment(Self::environment(f))
                .set_layers(Some(f.layers.clone()))
                .logging_config(Self::logging(f))
                .set_tags(Some(f.tags.clone().into_iter().collect()))
                .description(&f.description)
                .tracing_config(Self::tracing(f))
                .set_ephemeral_storage(Self::storage(f))
                .set_kms_key_arn(f.kms_key_arn.clone())
                .set_vpc_config(f.vpc.as_ref().map(|_| Self::vpc(f)))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateFunction", name, e))
        })
        .await?;
        if out.state() != Some(&lt::State::Active) {
            self.wait_active(name).await?;
        }
        if f.reserved_concurrency.is_some() {
            self.set_reserved_concurrency(f).await?;
        }
        Ok(())
    }

    /// The execution role: the config's existing one, or wsdeploy's.
    fn role_arn(&self, f: &state::Function) -> String {
        f.role_arn.clone().unwrap_or_else(|| {
            self.aws
                .place()
                .role_arn(&role_path(&self.config.app, &self.config.stage), &f.role)
        })
    }

    fn tracing(f: &state::Function) -> lt::TracingConfig {
        lt::TracingConfig::builder()
            .mode(lt::TracingMode::from(f.tracing.as_str()))
            .build()
    }

    fn storage(f: &state::Function) -> Option<lt::EphemeralStorage> {
        lt::EphemeralStorage::builder()
            .size(i32::try_from(f.ephemeral_storage).unwrap_or(i32::MAX))
            .build()
            .ok()
    }

    /// The VPC configuration; empty lists take the function out of its VPC.
    fn vpc(f: &state::Function) -> lt::VpcConfig {
        let (subnets, groups) = f.vpc.as_ref().map_or_else(Default::default, |v| {
            (
                v.subnet_ids.iter().cloned().collect(),
                v.security_group_ids.iter().cloned().collect(),
            )
        });
        lt::VpcConfig::builder()
            .set_subnet_ids(Some(subnets))
            .set_security_group_ids(Some(groups))
            .build()
    }

    /// Reserved concurrency as desired: set, or the reservation removed.
    async fn set_reserved_concurrency(&self, f: &state::Function) -> Result<(), AwsError> {
        let lambda = &self.aws.lambda;
        let name = f.name.as_str();
        retry(self.budget, || async {
            match f.reserved_concurrency {
                Some(n) => lambda
                    .put_function_concurrency()
                    .function_name(name)
                    .reserved_concurrent_executions(i32::try_from(n).unwrap_or(i32::MAX))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("PutFunctionConcurrency", name, e)),
                None => lambda
                    .delete_function_concurrency()
                    .function_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("DeleteFunctionConcurrency", name, e)),
            }
        })
        .await
    }

    async fn wait_active(&self, name: &str) -> Result<(), AwsError> {
        self.aws
            .lambda
            .wait_until_function_active_v2()
            .function_name(name)
            .wait(LAMBDA_WAIT)
            .await
            .map(|_| ())
            .map_err(|e| {
                waiter_error(
                    "waiting for the function to become Active",
                    name,
                    &DisplayErrorContext(&e).to_string(),
                )
            })
    }

    async fn wait_updated(&self, name: &str) -> Result<(), AwsError> {
        self.aws
            .lambda
            .wait_until_function_updated_v2()
            .function_name(name)
            .wait(LAMBDA_WAIT)
            .await
            .map(|_| ())
            .map_err(|e| {
                waiter_error(
                    "waiting for the function's update to finish",
                    name,
                    &DisplayErrorContext(&e).to_string(),
                )
            })
    }

    async fn update_function(&self, a: &Action, want: &State, name: &str) -> Result<(), AwsError> {
        let Some(f) = want.functions.get(name) else {
            return Ok(());
        };
        if a.function_configuration_changed() {
            let role_arn = self.role_arn(f);
            let out = retry(self.budget, || async {
                self.aws
                    .lambda
                    .update_function_configuration()
                    .function_name(name)
                    .runtime(lt::Runtime::from(f.runtime.as_str()))
                    .role(&role_arn)
                    .handler(&f.handler)
                    .memory_size(f.memory_size as i32)
                    .timeout(f.timeout as i32)
                    .environment(Self::environment(f))
                    .set_layers(Some(f.layers.clone()))
                    .logging_config(Self::logging(f))
                    .description(&f.description)
                    .tracing_config(Self::tracing(f))
                    .set_ephemeral_storage(Self::storage(f))
                    // An empty ARN goes back to Lambda's own key.
                    .kms_key_arn(f.kms_key_arn.clone().unwrap_or_default())
                    .vpc_config(Self::vpc(f))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateFunctionConfiguration", name, e))
            })
            .await?;
            if out.last_update_status() == Some(&lt::LastUpdateStatus::InProgress) {
                self.wait_updated(name).await?;
            }
        }
        if a.change(&Field::ReservedConcurrency).is_some() {
            self.set_reserved_concurrency(f).await?;
        }
        let arn = self.aws.place().function_arn(name);
        let lambda = &self.aws.lambda;
        let arn = &arn;
        retag(
            self.budget,
            &a.tags_to_set(),
            &a.tag_keys_to_remove(),
            |keys| async move {
                lambda
                    .untag_resource()
                    .resource(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("UntagResource", name, e))
            },
            |tags| async move {
                lambda
                    .tag_resource()
                    .resource(arn)
                    .set_tags(Some(tags.into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("TagResource", name, e))
            },
        )
        .await
    }

    async fn update_code(&self, want: &State, name: &str, shared: &Shared) -> Result<(), AwsError> {
        let Some(f) = want.functions.get(name) else {
            return Ok(());
        };
        let pkg = self.package(name)?;
        let revision = shared.id(|i| i.code_revisions.get(name).cloned());
        let upload = |client: &aws_sdk_lambda::Client| {
            client
                .update_function_code()
                .function_name(name)
                .zip_file(Blob::new(pkg.bytes.clone()))
                .architectures(lt::Architecture::from(f.architecture.as_str()))
                .set_revision_id(revision.clone())
                .send()
        };
        let out = if revision.is_some() {
            // Conditional (the lock-free path): one attempt; any refusal
            // sends the run to the lock.
            upload(&self.aws.lambda_once)
                .await
                .map_err(|e| AwsError::from_sdk("UpdateFunctionCode", name, e))?
        } else {
            retry(self.budget, || async {
                upload(&self.aws.lambda)
                    .await
                    .map_err(|e| AwsError::from_sdk("UpdateFunctionCode", name, e))
            })
            .await?
        };
        if out.last_update_status() == Some(&lt::LastUpdateStatus::InProgress) {
            self.wait_updated(name).await?;
        }
        Ok(())
    }

    async fn delete_function(&self, name: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .lambda
                .delete_function()
                .function_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteFunction", name, e))
        })
        .await;
        gone_is_done(r)
    }

    async fn add_permission(
        &self,
        want: &State,
        function: &str,
        sid: &str,
        replace: bool,
    ) -> Result<(), AwsError> {
        let Some(p) = want.permissions.get(function).and_then(|m| m.get(sid)) else {
            return Ok(());
        };
        if replace {
            self.remove_permission(function, sid).await?;
        }
        let add = || async {
            self.aws
                .lambda
                .add_permission()
                .function_name(function)
                .statement_id(sid)
                .action(&p.action)
                .principal(&p.principal)
                .source_arn(&p.source_arn)
                .set_source_account(p.source_account.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("AddPermission", &format!("{function}/{sid}"), e))
        };
        match add().await {
            Ok(_) => Ok(()),
            // Lambda answers a statement id that exists (a run that stopped
            // halfway, or a change made meanwhile) with the same conflict as
            // an update in progress: in both cases taking our statement out
            // first and adding it again is safe.
            Err(e) if e.kind == ErrorKind::Conflict => {
                self.remove_permission(function, sid).await?;
                retry(self.budget, add).await.map(|_| ())
            }
            Err(e) if e.is_transient() => retry(self.budget, add).await.map(|_| ()),
            Err(e) => Err(e),
        }
    }

    async fn remove_permission(&self, function: &str, sid: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .lambda
                .remove_permission()
                .function_name(function)
                .statement_id(sid)
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk("RemovePermission", &format!("{function}/{sid}"), e)
                })
        })
        .await;
        gone_is_done(r)
    }
}

fn waiter_error(what: &str, name: &str, detail: &str) -> AwsError {
    AwsError::state(
        what,
        name,
        "FunctionNotReady",
        detail.to_owned(),
        "look at the function's State and StateReason in the Lambda console; `Failed` needs a fix in the config or code",
    )
}

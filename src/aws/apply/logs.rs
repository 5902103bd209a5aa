//! Applying log-group actions: the access-log group and the functions'
//! log groups wsdeploy manages (created tagged, retention and tags kept
//! in sync, an untagged one adopted by tagging it, deleted with the app).

use super::Applier;
use crate::aws::AwsError;
use crate::aws::error::ErrorKind;
use crate::aws::util::{gone_is_done, retag, retry};
use crate::plan::{Action, Field, Op, Resource};
use crate::state::{LogGroup, State};

impl Applier<'_> {
    pub(super) async fn run_logs(&self, a: &Action, want: &State) -> Result<(), AwsError> {
        let name = a.resource.name();
        let group = match &a.resource {
            Resource::FunctionLogGroup(_) => want.function_log_groups.get(&name),
            _ => want.log_group.as_ref(),
        };
        match (a.op, group) {
            (Op::Delete, _) => self.delete_log_group(&name).await,
            (Op::Create, Some(g)) => self.create_log_group(g).await,
            (_, Some(g)) => self.update_log_group(a, g).await,
            (_, None) => Ok(()),
        }
    }

    async fn create_log_group(&self, want: &LogGroup) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .logs
                .create_log_group()
                .log_group_name(&want.name)
                .set_tags(Some(want.tags.clone().into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("CreateLogGroup", &want.name, e))
        })
        .await;
        match r {
            Ok(()) => {}
            // There already: made by a run that stopped after creating it
            // (tagged), or by Lambda since the plan was made (untagged, so
            // tag it now).
            Err(e) if e.kind == ErrorKind::AlreadyExists => self.tag_log_group(want).await?,
            Err(e) => return Err(e),
        }
        self.set_retention(want).await
    }

    async fn tag_log_group(&self, want: &LogGroup) -> Result<(), AwsError> {
        let arn = self.aws.place().log_group_arn(&want.name);
        retry(self.budget, || async {
            self.aws
                .logs
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(want.tags.clone().into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("TagResource", &want.name, e))
        })
        .await
    }

    async fn set_retention(&self, want: &LogGroup) -> Result<(), AwsError> {
        let logs = &self.aws.logs;
        retry(self.budget, || async {
            match want.retention_days {
                Some(days) => logs
                    .put_retention_policy()
                    .log_group_name(&want.name)
                    .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("PutRetentionPolicy", &want.name, e)),
                None => logs
                    .delete_retention_policy()
                    .log_group_name(&want.name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("DeleteRetentionPolicy", &want.name, e)),
            }
        })
        .await
    }

    async fn update_log_group(&self, a: &Action, want: &LogGroup) -> Result<(), AwsError> {
        if a.change(&Field::Retention).is_some() {
            self.set_retention(want).await?;
        }
        let logs = &self.aws.logs;
        let arn = &self.aws.place().log_group_arn(&want.name);
        let name = want.name.as_str();
        retag(
            self.budget,
            &a.tags_to_set(),
            &a.tag_keys_to_remove(),
            |keys| async move {
                logs.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("UntagResource", name, e))
            },
            |tags| async move {
                logs.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(tags.into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| AwsError::from_sdk("TagResource", name, e))
            },
        )
        .await
    }

    async fn delete_log_group(&self, name: &str) -> Result<(), AwsError> {
        let r = retry(self.budget, || async {
            self.aws
                .logs
                .delete_log_group()
                .log_group_name(name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteLogGroup", name, e))
        })
        .await;
        gone_is_done(r)
    }
}

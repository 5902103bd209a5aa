//! The deploy lock: two runs against one app and stage never interleave.
//!
//! The lock is a CloudWatch Logs group named `/wsdeploy/locks/<app>/<stage>`:
//! creating a log group is atomic by name, so exactly one run can create
//! it. Its tags say who holds it (`host:pid`) and since when. A run takes
//! the lock only when it has something to write, waits up to
//! `--lock-timeout` for a holder to finish, and deletes the group when it
//! is done. A lock left by a process that no longer runs on this machine
//! is taken over; any other stale lock is broken with `wsdeploy unlock`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::observe::logs::find_log_group;
use super::util::{RetryBudget, found, gone_is_done, map_of, retry};
use super::{Aws, AwsError, ErrorKind};
use crate::state::Tags;

const TAG_OWNER: &str = "wsdeploy:lock-owner";
const TAG_SINCE: &str = "wsdeploy:lock-since";
const TAG_COMMAND: &str = "wsdeploy:lock-command";

use crate::names::lock_group;

/// Who holds a lock.
#[derive(Debug, Clone)]
pub struct Holder {
    pub owner: String,
    pub command: String,
    /// Unix seconds.
    pub since: u64,
}

impl Holder {
    pub fn describe(&self) -> String {
        let age = now().saturating_sub(self.since);
        format!("`{}` by {} for {age} s", self.command, self.owner)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// This process, as lock owners are written: `host:pid`.
pub fn me() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

/// A held lock; `release` deletes it.
pub struct Lock {
    name: String,
}

async fn holder(aws: &Aws, name: &str) -> Result<Option<Holder>, AwsError> {
    let listed = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(aws.place().log_group_arn(name))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListTagsForResource", name, e));
    Ok(found(listed)?.map(|out| {
        let tags: Tags = map_of(out.tags());
        Holder {
            owner: tags
                .get(TAG_OWNER)
                .cloned()
                .unwrap_or_else(|| "an unknown owner".to_owned()),
            command: tags
                .get(TAG_COMMAND)
                .cloned()
                .unwrap_or_else(|| "a run".to_owned()),
            since: tags
                .get(TAG_SINCE)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        }
    }))
}

/// Whether the holder is a process of this machine that is gone.
fn dead_here(h: &Holder) -> bool {
    let Some((host, pid)) = h.owner.rsplit_once(':') else {
        return false;
    };
    host == hostname()
        && pid.parse::<u32>().is_ok_and(|p| {
            p != std::process::id() && !std::path::Path::new(&format!("/proc/{p}")).exists()
        })
}

/// Whether some run holds the lock of the app and stage now (one read; no
/// account id needed).
pub async fn is_held(aws: &Aws, app: &str, stage: &str) -> Result<bool, AwsError> {
    let group = find_log_group(aws, &lock_group(app, stage)).await?;
    Ok(group.is_some())
}

/// One attempt to take the lock: `None` when someone holds it (or the
/// attempt was throttled). Needs no account id, so it can go out while
/// the account is being identified; `acquire` then waits if needed.
pub async fn try_take(
    aws: &Aws,
    app: &str,
    stage: &str,
    command: &str,
) -> Result<Option<Lock>, AwsError> {
    let name = lock_group(app, stage);
    match create(aws, &name, app, stage, command).await {
        Ok(()) => Ok(Some(Lock { name })),
        Err(e) if e.is_transient() || e.kind == ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates the lock's group, tagged with this run.
async fn create(
    aws: &Aws,
    name: &str,
    app: &str,
    stage: &str,
    command: &str,
) -> Result<(), AwsError> {
    let tags = [
        (TAG_OWNER.to_owned(), me()),
        (TAG_SINCE.to_owned(), now().to_string()),
        (TAG_COMMAND.to_owned(), command.to_owned()),
        (crate::state::TAG_APP.to_owned(), app.to_owned()),
        (crate::state::TAG_STAGE.to_owned(), stage.to_owned()),
    ];
    aws.logs
        .create_log_group()
        .log_group_name(name)
        .set_tags(Some(tags.into_iter().collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("CreateLogGroup", name, e))
}

/// Takes the lock, waiting up to `timeout` for the current holder.
/// `notice` is told once what is being waited for.
pub async fn acquire(
    aws: &Aws,
    app: &str,
    stage: &str,
    command: &str,
    timeout: Duration,
    notice: &(dyn Fn(String) + Sync),
) -> Result<Lock, AwsError> {
    let name = lock_group(app, stage);
    let start = Instant::now();
    let mut told = false;
    loop {
        match create(aws, &name, app, stage, command).await {
            Ok(()) => return Ok(Lock { name }),
            Err(e) => {
                if e.is_transient() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
                if e.kind != ErrorKind::AlreadyExists {
                    return Err(e);
                }
            }
        }
        let Some(h) = holder(aws, &name).await? else {
            continue; // Released meanwhile: try again at once.
        };
        if dead_here(&h) {
            notice(format!(
                "taking over the lock of {}, which no longer runs",
                h.owner
            ));
            force_release(aws, &name).await?;
            continue;
        }
        if start.elapsed() >= timeout {
            return Err(AwsError::state(
                "taking the deploy lock",
                &name,
                "Locked",
                format!(
                    "another run holds the lock of this app and stage: {}",
                    h.describe()
                ),
                &format!(
                    "wait for it to finish (`--lock-timeout` waits longer); if no run is in progress, break the lock with `wsdeploy unlock` (it deletes the log group `{name}`)"
                ),
            ));
        }
        if !told {
            notice(format!(
                "waiting for the lock held by {} (at most {} s)",
                h.describe(),
                timeout.as_secs()
            ));
            told = true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn force_release(aws: &Aws, name: &str) -> Result<(), AwsError> {
    let r = aws
        .logs
        .delete_log_group()
        .log_group_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DeleteLogGroup", name, e));
    gone_is_done(r)
}

impl Lock {
    pub async fn release(self, aws: &Aws) -> Result<(), AwsError> {
        retry(RetryBudget::default(), || force_release(aws, &self.name)).await
    }
}

/// `wsdeploy unlock`: deletes the lock whoever holds it. Returns the
/// holder it broke, if any.
pub async fn unlock(aws: &Aws, app: &str, stage: &str) -> Result<Option<Holder>, AwsError> {
    let name = lock_group(app, stage);
    let h = holder(aws, &name).await?;
    if h.is_some() {
        force_release(aws, &name).await?;
    }
    Ok(h)
}

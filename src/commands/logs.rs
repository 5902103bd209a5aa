//! `wsdeploy logs`: the functions' logs (and the access log), merged by
//! time; with `--follow`, new events as they come, until Ctrl-C.
//!
//! The names and `--since` are checked before AWS is called. One
//! DescribeLogGroups by the app's prefix (and one per selected group
//! outside it) says which groups exist: a missing one is warned about and
//! left out, and when none exists the API is looked up (API Gateway only)
//! to tell "not deployed" from "nothing logged yet". Then each group is read with
//! FilterLogEvents, once, or in rounds under `--follow` (see
//! `logs::follow`). Every CloudWatch Logs call goes through one
//! `aws::events::Reader`, so the whole command stays under its rate limit.

use std::collections::BTreeSet;
use std::io::ErrorKind as IoKind;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures_util::future::join_all;

use super::{Error, Exit};
use crate::aws::events::Reader;
use crate::aws::{AwsError, observe};
use crate::config::model::Config;
use crate::logs::follow::{Follow, MIN_ROUND_INTERVAL, RESCAN_INTERVAL};
use crate::logs::{self, Event, Source, SourceKind};
use crate::names;
use crate::output::logs::Lines;
use crate::output::{self, Printer};
use crate::pipeline::{self, Options, interrupt};

/// The flags of `wsdeploy logs`.
#[derive(Debug, Clone)]
pub struct Flags {
    /// Functions (short or full name) or route keys.
    pub names: Vec<String>,
    pub since: String,
    pub follow: bool,
    pub filter: Option<String>,
    pub access: bool,
}

pub async fn run(
    config: &Config,
    opts: &Options,
    flags: &Flags,
    printer: &Printer,
) -> Result<Exit, Error> {
    let sources = logs::select::select(config, &flags.names, flags.access)?;
    let since = logs::since::parse(&flags.since, now_ms())?;
    let work = async {
        let mut tail = Tail::start(config, opts, flags, printer, sources).await?;
        if flags.follow {
            tail.follow(since).await
        } else {
            tail.once(since).await
        }
    };
    tokio::select! {
        result = work => result,
        () = interrupt::next_signal() => {
            if flags.follow {
                Ok(Exit::Ok)
            } else {
                printer.message("interrupted\n");
                Ok(Exit::Interrupted)
            }
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A running `logs`: what it reads, what exists, what it has said.
struct Tail<'a> {
    config: &'a Config,
    printer: &'a Printer,
    reader: Reader,
    sources: Vec<Source>,
    filter: Option<&'a str>,
    lines: Lines,
    /// The selected groups known to exist.
    present: BTreeSet<String>,
    /// The groups already warned about as missing.
    warned: BTreeSet<String>,
}

impl<'a> Tail<'a> {
    /// Connects, finds which selected groups exist, and warns about the
    /// others; fails when none exists because the stage is not deployed.
    async fn start(
        config: &'a Config,
        opts: &Options,
        flags: &'a Flags,
        printer: &'a Printer,
        sources: Vec<Source>,
    ) -> Result<Tail<'a>, Error> {
        let mut aws = pipeline::clients(config, opts).await?;
        let labels: Vec<&str> = sources.iter().map(|s| s.label.as_str()).collect();
        let lines = Lines::new(&labels, printer.is_json(), printer.stdout_color());
        let mut tail = Tail {
            config,
            printer,
            reader: Reader::new(&aws, opts.budget),
            sources,
            filter: flags.filter.as_deref(),
            lines,
            present: BTreeSet::new(),
            warned: BTreeSet::new(),
        };
        // A credentials problem explains a failed read better than the read.
        let (who, listed) = tokio::join!(aws.identify(), tail.list(false));
        who?;
        tail.present = listed?;
        if tail.present.is_empty() {
            // API Gateway only: no CloudWatch Logs call to count.
            if observe::deployed_api_id(&aws, config).await?.is_none() {
                return Err(Error::NotDeployed {
                    app: config.app.clone(),
                    stage: config.stage.clone(),
                });
            }
        }
        tail.warn_missing();
        Ok(tail)
    }

    /// The selected groups that exist (of the missing ones only, when
    /// `missing_only`): one listing by the app's prefix for its functions,
    /// one by name for each other group.
    async fn list(&self, missing_only: bool) -> Result<BTreeSet<String>, AwsError> {
        let wanted: Vec<&Source> = self
            .sources
            .iter()
            .filter(|s| !missing_only || !self.present.contains(&s.group))
            .collect();
        let mut prefixes: Vec<String> = Vec::new();
        if wanted.iter().any(|s| s.kind == SourceKind::Function) {
            let app = names::function_name(&self.config.app, &self.config.stage, "");
            prefixes.push(names::function_log_group(&app));
        }
        prefixes.extend(
            wanted
                .iter()
                .filter(|s| s.kind != SourceKind::Function)
                .map(|s| s.group.clone()),
        );
        let listed = join_all(prefixes.iter().map(|p| self.reader.groups(p))).await;
        let mut found = BTreeSet::new();
        for names in listed {
            found.extend(names?);
        }
        Ok(wanted
            .iter()
            .filter(|s| found.contains(&s.group))
            .map(|s| s.group.clone())
            .collect())
    }

    /// One warning line on stderr for each selected group that does not
    /// exist and was not warned about yet.
    fn warn_missing(&mut self) {
        for s in &self.sources {
            if self.present.contains(&s.group) || !self.warned.insert(s.group.clone()) {
                continue;
            }
            let managed = s.group == names::access_log_group(&self.config.app, &self.config.stage);
            self.printer.message(&output::logs::missing(s, managed));
        }
    }

    /// Reads every present group once, from where `start` says; a group
    /// that turns out to be gone is warned about and left out.
    async fn read(
        &mut self,
        start: impl Fn(&str) -> i64,
    ) -> Result<Vec<(String, Vec<Event>)>, Error> {
        let groups: Vec<String> = self
            .sources
            .iter()
            .filter(|s| self.present.contains(&s.group))
            .map(|s| s.group.clone())
            .collect();
        let reads = join_all(
            groups
                .iter()
                .map(|g| self.reader.events(g, start(g), self.filter)),
        )
        .await;
        let mut out = Vec::new();
        for (group, read) in groups.into_iter().zip(reads) {
            match read? {
                Some(events) => out.push((group, events)),
                None => {
                    self.present.remove(&group);
                }
            }
        }
        self.warn_missing();
        Ok(out)
    }

    /// Prints events; `false` when stdout was closed (`| head`).
    fn print(&self, events: &[Event]) -> Result<bool, Error> {
        if events.is_empty() {
            return Ok(true);
        }
        let mut text = String::new();
        for e in events {
            let label = self
                .sources
                .iter()
                .find(|s| s.group == e.group)
                .map_or(e.group.as_str(), |s| s.label.as_str());
            text.push_str(&self.lines.render(label, e));
        }
        match self.printer.stream(&text) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == IoKind::BrokenPipe => Ok(false),
            Err(source) => Err(Error::Write {
                path: "stdout".into(),
                source,
            }),
        }
    }

    async fn once(&mut self, since: i64) -> Result<Exit, Error> {
        let reads = self.read(|_| since).await?;
        let events = logs::merge(reads.into_iter().map(|(_, events)| events));
        self.print(&events)?;
        Ok(Exit::Ok)
    }

    /// Rounds until Ctrl-C (which `run` waits for) or a closed stdout.
    async fn follow(&mut self, since: i64) -> Result<Exit, Error> {
        let mut seen = Follow::new(since);
        let mut listed = Instant::now();
        loop {
            let began = Instant::now();
            if self.present.len() < self.sources.len() && listed.elapsed() >= RESCAN_INTERVAL {
                let found = self.list(true).await?;
                self.present.extend(found);
                listed = Instant::now();
            }
            let reads = self.read(|g| seen.start(g)).await?;
            if !self.print(&seen.round(reads))? {
                return Ok(Exit::Ok);
            }
            tokio::time::sleep_until((began + MIN_ROUND_INTERVAL).into()).await;
        }
    }
}

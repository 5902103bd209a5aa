//! `app`, `stage` and `region`: the names every resource is derived from.
//!
//! `--stage` and `--region` win over the file; without either, the stage
//! is `dev` and the region comes from the environment (or, at deploy time,
//! the AWS configuration chain).

use super::Validator;
use super::checks::{app_name_suggestion, is_app_name, is_region, is_stage};
use crate::config::raw::RawConfig;
use crate::config::read::S;
use crate::diagnostic::Diagnostic;

const STAGE_RULE: &str = "letters, digits, `-` and `_`, 1 to 32 characters";
const REGION_EXAMPLE: &str = "a region looks like `us-east-1`";

impl Validator<'_, '_, '_> {
    /// Checks `app`, `stage` and `region` and keeps the values the rest of
    /// validation names things with.
    pub(super) fn check_names(&mut self, raw: &RawConfig) {
        self.check_app(&raw.app);
        self.stage = self.check_stage(raw.stage.as_ref());
        self.region = self.check_region(raw.region.as_ref());
    }

    fn check_app(&mut self, app: &S<String>) {
        if is_app_name(&app.value) {
            return;
        }
        let hint = if app.interpolated {
            "lowercase letters, digits and `-`, starting with a letter, at most 30 characters"
                .to_owned()
        } else {
            format!(
                "lowercase letters, digits and `-`, starting with a letter, at most 30 characters, for example `{}`",
                app_name_suggestion(&app.value)
            )
        };
        self.err_hint(app.pos, "app", "invalid app name", hint);
    }

    fn check_stage(&mut self, stage: Option<&S<String>>) -> String {
        if let Some(s) = self.ctx.stage_override {
            if !is_stage(s) {
                self.r.diags.push(
                    Diagnostic::error(None, "--stage", "invalid stage name given with `--stage`")
                        .with_hint(STAGE_RULE),
                );
            }
            return s.to_owned();
        }
        match stage {
            Some(s) => {
                if !is_stage(&s.value) {
                    self.err_hint(s.pos, "stage", "invalid stage name", STAGE_RULE);
                }
                s.value.clone()
            }
            None => "dev".to_owned(),
        }
    }

    fn check_region(&mut self, region: Option<&S<String>>) -> Option<String> {
        if let Some(r) = self.ctx.region_override {
            if !is_region(r) {
                self.r.diags.push(
                    Diagnostic::error(None, "--region", "invalid region given with `--region`")
                        .with_hint(REGION_EXAMPLE),
                );
            }
            return Some(r.to_owned());
        }
        if let Some(r) = region {
            if !is_region(&r.value) {
                self.err_hint(r.pos, "region", "invalid region", REGION_EXAMPLE);
            }
            return Some(r.value.clone());
        }
        self.ctx.region_fallback.map(str::to_owned)
    }
}

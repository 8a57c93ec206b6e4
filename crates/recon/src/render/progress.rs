//! Progress lines during apply and destroy, Terraform style:
//! `vpc.main: Creating...`, `vpc.main: Creation complete after 2s [id=vpc-0a1b]`.

use std::time::Duration;

use recon_exec::{Event, Step};
use recon_model::{Plan, PlanMode};

pub fn line(event: &Event) -> String {
    match event {
        Event::Started { address, step } => format!("{address}: {}...", verb(*step).0),
        Event::Waiting {
            address,
            step,
            reason,
        } => format!("{address}: Still {}... ({reason})", verb(*step).2),
        Event::Retrying {
            address,
            step,
            error,
            attempt,
        } => format!(
            "{address}: Still {}... (retry {attempt} after: {error})",
            verb(*step).2
        ),
        Event::Finished {
            address,
            step,
            id,
            elapsed,
        } => format!(
            "{address}: {} complete after {} [id={id}]",
            verb(*step).1,
            seconds(*elapsed)
        ),
        Event::Failed {
            address,
            step,
            error,
        } => format!("{address}: {} failed: {error}", verb(*step).1),
        Event::Skipped {
            address, because, ..
        } => format!("{address}: Skipped: depends on {because}, which failed"),
    }
}

/// (present participle, noun, "still ..." participle)
fn verb(step: Step) -> (&'static str, &'static str, &'static str) {
    match step {
        Step::Create => ("Creating", "Creation", "creating"),
        Step::Update => ("Modifying", "Modifications", "modifying"),
        Step::Delete => ("Destroying", "Destruction", "destroying"),
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

/// `Resources: 7 added, 0 changed, 0 destroyed.` (only said once every change succeeded)
pub fn summary(plan: &Plan) -> String {
    let s = plan.summary();
    match plan.mode {
        PlanMode::Destroy => format!("Resources: {} destroyed.", s.destroy),
        PlanMode::Apply => format!(
            "Resources: {} added, {} changed, {} destroyed.",
            s.add, s.change, s.destroy
        ),
    }
}

//! Asking before changing anything.

use std::io::{BufRead, IsTerminal, Write};

use crate::CliError;

/// Proceeds only on `--auto-approve` or a typed `yes` at a terminal. Without a terminal and
/// without the flag it refuses: nobody reviewed the plan.
pub fn confirm(action: &'static str, auto_approve: bool) -> Result<(), CliError> {
    if auto_approve {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::NotConfirmed { action });
    }
    crate::printer::out(&format!(
        "\nDo you want to {action}? Only 'yes' will be accepted.\n  Enter a value: "
    ));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|source| CliError::Read {
            path: "<stdin>".into(),
            source,
        })?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CliError::Cancelled { action })
    }
}

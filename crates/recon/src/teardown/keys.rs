//! A KMS key is never deleted at once: ScheduleKeyDeletion leaves it pending deletion until
//! the end of its window. After the executor reports a key's delete done, a direct DescribeKey
//! says what the record may claim.

use recon_aws::AwsProvider;
use recon_aws::audit::KeyDeletion;
use recon_model::Kind;

use super::{Entry, Status};
use crate::error::error_chain;

/// Sets the state of every KMS key the executor deleted from DescribeKey.
///
/// # Guarantees
/// - A key is [`Status::ScheduledForDeletion`] only with the deletion date KMS reports, and
///   [`Status::Deleted`] only when KMS no longer knows it.
/// - Anything else (an enabled key, a failed describe) is [`Status::Unconfirmed`] with why.
pub async fn confirm(provider: &AwsProvider, entries: &mut [Entry]) {
    let kms = Kind::KmsKey.to_string();
    for entry in entries
        .iter_mut()
        .filter(|e| e.kind == kms && e.status == Status::Deleted)
    {
        let described = provider
            .key_deletion(&entry.id)
            .await
            .map_err(|e| error_chain(&e));
        apply(entry, described);
    }
}

/// What a DescribeKey answer (or its failure) makes of a key's entry.
pub fn apply(entry: &mut Entry, described: Result<KeyDeletion, String>) {
    match described {
        Ok(KeyDeletion::Scheduled { on }) => {
            entry.status = Status::ScheduledForDeletion;
            entry.key_material_destroyed_on = Some(on);
            entry.confirmed_gone_at = None;
        }
        Ok(KeyDeletion::Gone) => entry.key_material_destroyed_on = None,
        Ok(KeyDeletion::NotScheduled { state }) => {
            entry.status = Status::Unconfirmed;
            entry.confirmed_gone_at = None;
            entry.key_material_destroyed_on = None;
            entry.reason = Some(format!(
                "KMS reports the key as {state}, not pending deletion"
            ));
        }
        Err(e) => {
            entry.status = Status::Unconfirmed;
            entry.confirmed_gone_at = None;
            entry.reason = Some(format!(
                "deletion was scheduled but the key's state could not be read back: {e}"
            ));
        }
    }
}

//! [`AwsKind`]: what recon does with one kind of AWS resource, implemented at the end of each
//! kind's module by delegating to that module's functions with the client its API needs.

use futures::future::try_join_all;
use recon_model::Kind;
use recon_provider::{CreateRequest, ProviderError, UpdateRequest};

use super::Found;
use crate::clients::Clients;

/// The calls for one managed kind. Listed once in `registry.rs`, which dispatches on [`Kind`].
///
/// # Assumptions
/// Callers (the provider in `lib.rs`) do what is common to every kind: matching found resources
/// to addresses, the ownership check before update and delete, the read after an update.
pub(crate) trait AwsKind {
    /// The kind this implements (checked against the registry's list by its test).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read only by the registry's test")
    )]
    const KIND: Kind;

    /// Every resource of the kind tagged `recon:env` = `environment`, not yet re-checked.
    async fn discover(c: &Clients, environment: &str) -> Result<Vec<Found>, ProviderError>;

    /// Every resource of the kind tagged `recon:env` = `environment`, with its tags, id and
    /// what deleting it needs, but not necessarily its other attributes: what a sweep needs to
    /// say what remains, and what a destroy plans from. By default [`AwsKind::discover`]; a
    /// kind whose discovery reads more than its describe (a VPC's attributes) leaves that out.
    async fn census(c: &Clients, environment: &str) -> Result<Vec<Found>, ProviderError> {
        Self::discover(c, environment).await
    }

    /// One resource by id; `None` once it is gone.
    async fn read(c: &Clients, id: &str) -> Result<Option<Found>, ProviderError>;

    /// Whether [`AwsKind::create`]'s answer, when it says `Available`, holds every attribute
    /// [`AwsKind::read`] would (the API returns the whole resource, or recon knows what AWS
    /// gives a new one): then the executor does not read the resource back after creating it.
    const CREATE_REPLY_IS_A_READ: bool = false;

    /// Whether [`AwsKind::read_many`] is one describe for many ids (then concurrent reads of
    /// the kind are coalesced into it, see `coalesce.rs`), not the default's one read per id.
    const READS_MANY_IN_ONE_CALL: bool = false;

    /// Many resources by id: the batch form of [`AwsKind::read`].
    ///
    /// # Guarantees
    /// Returns the resources that exist, in any order; ids that do not exist are absent, not
    /// errors. By default the single reads run concurrently; a kind whose API describes many
    /// ids in one call may override it.
    async fn read_many(c: &Clients, ids: &[String]) -> Result<Vec<Found>, ProviderError> {
        let found = try_join_all(ids.iter().map(|id| Self::read(c, id))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Many resources by id, as a delete needs them: their tags, for the ownership check,
    /// and what the kind's delete reads. By default [`AwsKind::read_many`]; a kind whose
    /// read costs more than its describe (a VPC's attributes) leaves that out.
    async fn read_many_before_delete(
        c: &Clients,
        ids: &[String],
    ) -> Result<Vec<Found>, ProviderError> {
        Self::read_many(c, ids).await
    }

    /// The one create call, tagged at creation.
    async fn create(c: &Clients, request: &CreateRequest<'_>) -> Result<Found, ProviderError>;

    /// Changes `request.diffs` on `current` (as just read, ownership checked).
    async fn update(
        c: &Clients,
        current: &Found,
        request: &UpdateRequest<'_>,
    ) -> Result<(), ProviderError>;

    /// Asks AWS to delete `current` (as just read, ownership checked).
    async fn delete(c: &Clients, current: &Found) -> Result<(), ProviderError>;

    /// What a delete is not done without once the resource itself is deleted, run after
    /// [`AwsKind::delete`] and again when a retried delete finds the resource already gone
    /// (a classic ELB's network interfaces). By default nothing.
    async fn after_gone(_c: &Clients, _id: &str) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// A kind module's `Calls`: its [`AwsKind`], handing each call to the module's own functions
/// (`discover`, `read`, `create`, `update`, `delete`) with the SDK client `$client` of
/// [`Clients`]. Items after the client (an `after_gone`) are added to the impl as they are.
macro_rules! aws_kind_calls {
    // `reads_many`: the module has a `read_many` that describes many ids in one call.
    ($kind:ident, $client:ident, reads_many $(, $($extra:tt)*)?) => {
        super::aws_kind_calls!(
            $kind,
            $client,
            const READS_MANY_IN_ONE_CALL: bool = true;

            async fn read_many(
                c: &crate::clients::Clients,
                ids: &[String],
            ) -> Result<Vec<Found>, ProviderError> {
                read_many(&c.$client, ids).await
            }

            $($($extra)*)?
        );
    };
    // `clients`: the module's functions take every client (`&Clients`), for kinds whose calls
    // span services (a flow log reads its role's ARN from IAM).
    ($kind:ident, clients $(, $($extra:tt)*)?) => {
        super::aws_kind_calls!(@impl $kind, [] $(, $($extra)*)?);
    };
    ($kind:ident, $client:ident $(, $($extra:tt)*)?) => {
        super::aws_kind_calls!(@impl $kind, [$client] $(, $($extra)*)?);
    };
    (@impl $kind:ident, [$($client:ident)?] $(, $($extra:tt)*)?) => {
        pub(crate) struct Calls;

        impl super::AwsKind for Calls {
            const KIND: recon_model::Kind = recon_model::Kind::$kind;

            async fn discover(
                c: &crate::clients::Clients,
                environment: &str,
            ) -> Result<Vec<Found>, ProviderError> {
                discover(&c $(.$client)?, environment).await
            }

            async fn read(
                c: &crate::clients::Clients,
                id: &str,
            ) -> Result<Option<Found>, ProviderError> {
                read(&c $(.$client)?, id).await
            }

            async fn create(
                c: &crate::clients::Clients,
                request: &CreateRequest<'_>,
            ) -> Result<Found, ProviderError> {
                create(&c $(.$client)?, request).await
            }

            async fn update(
                c: &crate::clients::Clients,
                current: &Found,
                request: &UpdateRequest<'_>,
            ) -> Result<(), ProviderError> {
                update(&c $(.$client)?, current, request).await
            }

            async fn delete(
                c: &crate::clients::Clients,
                current: &Found,
            ) -> Result<(), ProviderError> {
                delete(&c $(.$client)?, current).await
            }

            $($($extra)*)?
        }
    };
}
pub(crate) use aws_kind_calls;

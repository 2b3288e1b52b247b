//! The identity of `tagdeploy_prod_tag` (Terraform 1.12+): the registry's account, the region,
//! the repository and the environment tag. `import { to = …, identity = { repository = "example",
//! tag = "prod" } }` imports one; the account and region default to the provider's.
//!
//! Where each value comes from, without an extra AWS call in read, plan or apply: the
//! repository and tag from the state; the region from the provider's clients; the account
//! from `registry_id` when set, else from the registry id ECR reports with the image (read),
//! else from the identity Terraform already holds, else from the repository URI in
//! `image_uri` (`<account>.dkr.ecr.<region>.amazonaws.com/…`).

use super::model::ProdTagModel;
use crate::aws::ecr::Ecr;
use crate::aws::error::EcrError;
use crate::aws::image::RepositoryRef;
use crate::aws::uri::EcrImageUri;
use crate::errors;
use crate::model;
use crate::names;
use crate::provider_data::ProviderData;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::tfplugin::framework::Ctx;
use crate::tfplugin::model::{Tf, optional, required};

model! {
    /// The identity of a `tagdeploy_prod_tag`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ProdTagIdentity {
        /// The ECR repository, e.g. `example` or `team/app`.
        pub repository: Tf<String> => required(),
        /// The environment tag, e.g. `prod`.
        pub tag: Tf<String> => required(),
        /// The AWS account ID of the registry that holds the repository. Optional for import:
        /// defaults to the registry of the provider's credentials.
        pub account_id: Tf<String> => optional(),
        /// The AWS region of the registry. Optional for import: defaults to the provider's
        /// region, the only one it can import from.
        pub region: Tf<String> => optional(),
    }
}

/// The account of the registry `state` names, from what is known without an AWS call:
/// `registry_id`, the identity Terraform holds, or the repository URI in `image_uri`.
fn known_account(ctx: &Ctx<'_, ProviderData>, state: &ProdTagModel) -> Tf<String> {
    if let Some(id) = state.registry_id.known() {
        return Tf::Known(id.clone());
    }
    if let Some(id) = ctx
        .identity::<ProdTagIdentity>()
        .and_then(|i| i.account_id.into_known())
    {
        return Tf::Known(id);
    }
    match state.image_uri.as_str() {
        Some(uri) => EcrImageUri::parse(uri)
            .map(|u| Tf::Known(u.registry_id))
            .unwrap_or(Tf::Null),
        None if state.image_uri.is_unknown() => Tf::Unknown,
        None => Tf::Null,
    }
}

/// The provider's region; while the provider's settings are unknown, the region of the
/// identity Terraform holds, else unknown.
fn region(ctx: &Ctx<'_, ProviderData>) -> Tf<String> {
    match ctx.data().clients() {
        Ok(clients) => clients.region.clone().into(),
        Err(_) => ctx
            .identity::<ProdTagIdentity>()
            .map(|i| i.region)
            .filter(Tf::is_known)
            .unwrap_or(Tf::Unknown),
    }
}

/// Reports the identity of the object `state` describes; `reported` is the registry id ECR
/// answered with, when the call had one.
pub(super) fn report(
    ctx: &mut Ctx<'_, ProviderData>,
    state: &ProdTagModel,
    reported: Option<String>,
) {
    let account_id = match reported {
        Some(id) if state.registry_id.is_null() => Tf::Known(id),
        _ => known_account(ctx, state),
    };
    let identity = ProdTagIdentity {
        repository: state.repository.clone(),
        tag: state.tag.clone(),
        account_id,
        region: region(ctx),
    };
    ctx.set_identity(&identity);
}

/// Reports the identity after an apply: every value known, or none at all (a failed apply
/// whose state could not say, e.g. the tag points nowhere).
pub(super) fn report_applied(ctx: &mut Ctx<'_, ProviderData>, state: &ProdTagModel) {
    report(ctx, state, None);
}

/// `import { identity = { … } }`: checks the identity and returns the registry id the
/// resource's `registry_id` must hold (`None`: the provider's own registry). One
/// DescribeRepositories call tells an identity naming the provider's own account (whose
/// `registry_id` stays null, as configurations leave it) from one naming another account's.
pub(super) async fn import_registry(
    ctx: &mut Ctx<'_, ProviderData>,
    identity: &ProdTagIdentity,
) -> Result<(Option<String>, String, String), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut text = |name: &str, value: &Tf<String>, required: bool| -> Option<String> {
        match value {
            Tf::Known(v) => Some(v.clone()),
            Tf::Null if !required => None,
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Invalid Import Identity",
                        format!("The identity to import needs a known `{name}`."),
                    )
                    .at(AttributePath::attr(name)),
                );
                None
            }
        }
    };
    let repository = text(ProdTagIdentity::repository, &identity.repository, true);
    let tag = text(ProdTagIdentity::tag, &identity.tag, true);
    let account = text(ProdTagIdentity::account_id, &identity.account_id, false);
    let wanted_region = text(ProdTagIdentity::region, &identity.region, false);
    let checks = [
        (ProdTagIdentity::repository, &repository, &names::REPOSITORY),
        (ProdTagIdentity::tag, &tag, &names::TAG),
        (ProdTagIdentity::account_id, &account, &names::ACCOUNT_ID),
        (ProdTagIdentity::region, &wanted_region, &names::REGION),
    ];
    for (name, value, rule) in checks {
        if let Some(v) = value
            && let Err(invalid) = rule.check(v)
        {
            diags.push(
                Diagnostic::error(
                    "Invalid Import Identity",
                    format!("`{name}` of the identity to import is {invalid}."),
                )
                .at(AttributePath::attr(name)),
            );
        }
    }
    let clients = ctx.data().clients()?;
    if let (Some(wanted), Some(own)) = (&wanted_region, &clients.region)
        && wanted != own
    {
        diags.push(
            Diagnostic::error(
                "Import From Another Region",
                format!(
                    "The identity names region {wanted:?}, but this provider works in {own:?}. Import it with a provider configured for {wanted:?}."
                ),
            )
            .at(AttributePath::attr(ProdTagIdentity::region)),
        );
    }
    let (Some(repository), Some(tag)) = (repository, tag) else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let Some(account) = account else {
        return Ok((None, repository, tag));
    };
    let ecr = Ecr::new(clients.ecr.clone());
    let registry = match ecr.repository(&RepositoryRef::new(&repository)).await {
        Ok(found) if found.registry_id == account => None,
        // Not in the provider's own registry (or in it under another account id): the
        // identity names another account's registry.
        Ok(_) | Err(EcrError::RepositoryNotFound { .. }) => Some(account),
        Err(e) => {
            return Err(errors::ecr("Import Error", &e, &Default::default()).into());
        }
    };
    Ok((registry, repository, tag))
}

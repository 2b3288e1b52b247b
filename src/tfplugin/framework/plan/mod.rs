//! Terraform's planning rules, applied by the framework to every resource:
//! [`propose`] turns Terraform's proposed new state into the framework's plan (defaults,
//! unknown computed values), [`replace_paths`] derives `requires_replace` from the schema, and
//! [`check`] verifies a final plan the way Terraform will (`objchange.AssertPlanValid`), so a
//! violation becomes a diagnostic naming the attribute instead of "Provider produced invalid
//! plan".
//!
//! Nested attributes follow the same rules member by member. Their objects are correlated with
//! the configuration and the prior state the way Terraform correlates them: a single object
//! directly, list elements by index, map elements by key, and set elements by their configured
//! members (set elements have no address).

mod propose;
mod replace;
mod valid;

#[cfg(test)]
mod nested_tests;
#[cfg(test)]
mod tests;

pub(crate) use propose::propose;
pub(crate) use replace::replace_paths;
pub(crate) use valid::check;

use crate::tfplugin::schema::{Block, Nesting};
use crate::tfplugin::value::Value;

/// Whether `element` (a planned or prior object of a set-nested attribute) could have come
/// from `config` (a configured object): every member the provider cannot choose is equal, and
/// every member it can choose is equal or unset in the configuration.
fn correlates(object: &Block, element: &Value, config: &Value) -> bool {
    if element.is_unknown() || config.is_unknown() || element.is_null() != config.is_null() {
        return false;
    }
    object.attributes().iter().all(|a| {
        let (e, c) = (element.attr(a.name()), config.attr(a.name()));
        match a.nested_type() {
            _ if e == c => true,
            _ if a.presence().is_computed() && c.is_null() => true,
            Some(nested) if nested.nesting() == Nesting::Single => {
                correlates(nested.object(), e, c)
            }
            _ => false,
        }
    })
}

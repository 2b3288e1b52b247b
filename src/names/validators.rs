//! The naming rules as schema validators, one function per rule, so every schema states a name
//! rule the same way: `.validate(names::validators::repository())`.
//!
//! Each reports `"<path>" must be <what the rule accepts>; "<value>" <what is wrong>.` on the
//! attribute's path, and only judges known, non-null strings (like every validator).

use crate::tfplugin::schema::{Validator, validators};

use super::Rule;

/// The validator of any naming rule.
pub fn rule(rule: Rule) -> impl Validator {
    validators::matches(rule.expected, move |value| {
        rule.check(value).map_err(|invalid| invalid.clause())
    })
}

/// A 12-digit AWS account id ([`super::ACCOUNT_ID`]), e.g. `registry_id`.
pub fn account_id() -> impl Validator {
    rule(super::ACCOUNT_ID)
}

/// The name of an image in a release ([`super::IMAGE_NAME`]).
pub fn image_name() -> impl Validator {
    rule(super::IMAGE_NAME)
}

/// An AWS region name ([`super::REGION`]).
pub fn region() -> impl Validator {
    rule(super::REGION)
}

/// An ECR repository name ([`super::REPOSITORY`]).
pub fn repository() -> impl Validator {
    rule(super::REPOSITORY)
}

/// An image tag ([`super::TAG`]).
pub fn tag() -> impl Validator {
    rule(super::TAG)
}

/// An image digest ([`super::DIGEST`]).
pub fn digest() -> impl Validator {
    rule(super::DIGEST)
}

/// An ECS cluster name or ARN ([`super::CLUSTER`]).
pub fn cluster() -> impl Validator {
    rule(super::CLUSTER)
}

/// An ECS service name or ARN ([`super::SERVICE`]); for a list or set of services wrap it in
/// `validators::each`.
pub fn service() -> impl Validator {
    rule(super::SERVICE)
}

/// An IAM role ARN ([`super::ROLE_ARN`]).
pub fn role_arn() -> impl Validator {
    rule(super::ROLE_ARN)
}

/// An STS role session name ([`super::SESSION_NAME`]).
pub fn session_name() -> impl Validator {
    rule(super::SESSION_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::diagnostics::{AttributePath, Diagnostics};
    use crate::tfplugin::value::Value;

    fn detail(v: &(impl Validator + ?Sized), value: Value) -> Option<String> {
        let mut diags = Diagnostics::new();
        let path = AttributePath::attr("images")
            .then_key("api")
            .then_attr("repository");
        v.validate(&value, &path, &mut diags);
        diags.iter().next().map(|d| {
            assert_eq!(d.attribute.as_ref(), Some(&path), "on the attribute's path");
            d.detail.clone()
        })
    }

    #[test]
    fn refusals_name_the_path_the_rule_and_the_problem() {
        assert_eq!(
            detail(&repository(), Value::string("App")).as_deref(),
            Some(
                "\"images[\"api\"].repository\" must be an ECR repository name (2 to 256 characters: lowercase letters, digits and . _ - between them, in components separated by /); \"App\" has uppercase letters."
            )
        );
        assert_eq!(detail(&repository(), Value::string("team/app")), None);
        for (validator, good, bad) in [
            (&account_id() as &dyn Validator, "123456789012", "12345"),
            (&region(), "eu-west-1", "mars"),
            (&tag(), "hash_2", "-x"),
            (
                &digest(),
                &*format!("sha256:{}", "0".repeat(64)),
                "sha256:0",
            ),
            (&cluster(), "example", "a.b"),
            (&service(), "example", "a b"),
            (
                &role_arn(),
                "arn:aws:iam::123456789012:role/r",
                "arn:aws:iam::1:role/r",
            ),
            (&session_name(), "terraform", "x"),
        ] {
            assert_eq!(detail(validator, Value::string(good)), None, "{good}");
            let text = detail(validator, Value::string(bad)).expect(bad);
            assert!(text.contains(&format!("{bad:?}")), "{text}");
        }
    }

    #[test]
    fn null_and_unknown_values_are_not_judged() {
        assert_eq!(detail(&repository(), Value::Null), None);
        assert_eq!(detail(&repository(), Value::Unknown), None);
    }
}

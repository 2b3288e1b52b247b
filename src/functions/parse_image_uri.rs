//! `provider::tagdeploy::parse_image_uri(uri)`: splits an Amazon ECR image URI into its parts.
//!
//! `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:hash_2@sha256:<64 hex>` →
//! `{registry_id = "123456789012", region = "eu-west-1", repository = "team/app",
//! tag = "hash_2", digest = "sha256:…"}`; `tag` and `digest` are null when absent. The parsing
//! itself is the domain's ([`EcrImageUri`]); this file only translates.

use crate::aws::uri::EcrImageUri;
use crate::errors;
use crate::tfplugin::framework::{Function, FunctionError, Parameter, Signature};
use crate::tfplugin::value::{Type, Value};

/// The function.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParseImageUri;

const FIELDS: [&str; 5] = ["registry_id", "region", "repository", "tag", "digest"];

fn result_type() -> Type {
    Type::Object(
        FIELDS
            .iter()
            .map(|f| ((*f).to_owned(), Type::String))
            .collect(),
    )
}

impl Function for ParseImageUri {
    fn name(&self) -> &'static str {
        "parse_image_uri"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![Parameter::new(
                "uri",
                Type::String,
                "An Amazon ECR image URI: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG][@sha256:DIGEST]`.",
            )],
            variadic: None,
            returns: result_type(),
            summary: "Splits an Amazon ECR image URI into its parts.".to_owned(),
            description: "Returns an object with `registry_id`, `region`, `repository`, `tag` and `digest` (null when the URI has no tag or no digest). Fails, naming the problem, when the URI is not an ECR image URI.".to_owned(),
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let uri = args
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| FunctionError::argument(0, "uri must be a string"))?;
        let parts = EcrImageUri::parse(uri).map_err(|e| errors::invalid_image_uri(0, &e))?;
        let optional = |s: Option<String>| s.map_or(Value::Null, Value::String);
        Ok(Value::object([
            ("registry_id", Value::String(parts.registry_id)),
            ("region", Value::String(parts.region)),
            ("repository", Value::String(parts.repository)),
            ("tag", optional(parts.tag)),
            ("digest", optional(parts.digest.map(|d| d.to_string()))),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

    #[test]
    fn call_returns_every_field() {
        let digest = format!("sha256:{}", "4f".repeat(32));
        let v = ParseImageUri
            .call(&[Value::string(format!("{HOST}/team/app:prod@{digest}"))])
            .expect("valid");
        assert_eq!(v.attr("registry_id"), &Value::string("123456789012"));
        assert_eq!(v.attr("region"), &Value::string("eu-west-1"));
        assert_eq!(v.attr("repository"), &Value::string("team/app"));
        assert_eq!(v.attr("tag"), &Value::string("prod"));
        assert_eq!(v.attr("digest"), &Value::string(digest));
        let v = ParseImageUri
            .call(&[Value::string(format!("{HOST}/app"))])
            .expect("valid");
        assert!(v.attr("tag").is_null() && v.attr("digest").is_null());
        let Value::Map(fields) = &v else {
            panic!("not an object")
        };
        assert_eq!(fields.len(), 5);
    }

    #[test]
    fn errors_name_the_argument_and_the_problem() {
        let cases = [
            ("docker.io/library/nginx:latest", "not an ECR registry"),
            ("12345.dkr.ecr.eu-west-1.amazonaws.com/app", "12-digit"),
            ("123456789012.dkr.ecr.mars.amazonaws.com/app", "region"),
            (HOST, "no registry host"),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/App",
                "uppercase",
            ),
            ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:", "tag"),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:ABC",
                "64 lowercase hex",
            ),
        ];
        for (uri, expected) in cases {
            let err = ParseImageUri.call(&[Value::string(uri)]).expect_err(uri);
            assert_eq!(err.argument, Some(0));
            assert!(
                err.text.starts_with("Invalid ECR image URI") && err.text.contains(expected),
                "{uri}: {}",
                err.text
            );
        }
    }
}

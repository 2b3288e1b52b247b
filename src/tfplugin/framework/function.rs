//! Provider-defined functions: [`Function`], its [`Signature`] and [`FunctionError`].

use std::sync::Arc;

use crate::tfplugin::value::{Type, Value};

/// One parameter of a provider-defined function.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Display name (a valid identifier).
    pub name: String,
    /// Accepted type.
    pub ty: Type,
    /// Pass null through instead of letting Terraform reject it.
    pub allow_null: bool,
    /// Pass unknown values through instead of Terraform short-circuiting to unknown.
    pub allow_unknown: bool,
    /// Markdown documentation.
    pub description: String,
}

impl Parameter {
    /// A parameter that rejects null and unknown arguments (Terraform enforces both).
    pub fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty,
            allow_null: false,
            allow_unknown: false,
            description: description.into(),
        }
    }
}

/// A function's signature and documentation.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Positional parameters.
    pub parameters: Vec<Parameter>,
    /// A final parameter taking any number of arguments.
    pub variadic: Option<Parameter>,
    /// The result type.
    pub returns: Type,
    /// One line.
    pub summary: String,
    /// Markdown documentation.
    pub description: String,
}

/// A function call failure: the text Terraform shows, and the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct FunctionError {
    /// What is wrong, as a sentence.
    pub text: String,
    /// Zero-based index of the argument at fault.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error about argument `index`.
    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            argument: Some(index),
        }
    }
}

/// A provider-defined function (`provider::tagdeploy::NAME(...)`). Called on an unconfigured
/// provider: it gets no provider data.
pub trait Function: Send + Sync + 'static {
    /// The function name, e.g. `parse_image_uri`.
    fn name(&self) -> &'static str;
    /// Parameters, result type and documentation.
    fn signature(&self) -> Signature;
    /// Computes the result from the decoded arguments (one per parameter, variadic ones last).
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// Registers a function: `vec![function(ParseImageUri)]`.
pub fn function<F: Function>(f: F) -> Arc<dyn Function> {
    Arc::new(f)
}

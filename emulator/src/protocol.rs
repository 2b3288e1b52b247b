//! The AWS JSON 1.1 wire protocol: target parsing, typed errors, request context, pagination tokens.
//!
//! Everything here is independent of ECR/ECS semantics; the service modules only build
//! [`AwsError`]s and JSON values, and this module decides how they look on the wire.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `X-Amz-Target` prefix of ECR (from the service model's `targetPrefix`).
pub const ECR_TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";
/// `X-Amz-Target` prefix of ECS.
pub const ECS_TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113";
/// `X-Amz-Target` prefix of CloudWatch Logs.
pub const LOGS_TARGET_PREFIX: &str = "Logs_20140328";

/// Which AWS service a call was addressed to (as logged in the request log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AwsService {
    /// Amazon ECR.
    Ecr,
    /// Amazon ECS.
    Ecs,
    /// Amazon CloudWatch Logs (log groups only).
    Logs,
    /// AWS STS (`GetCallerIdentity` only, over the query protocol).
    Sts,
    /// The ECR registry API (`/v2/…`, the OCI distribution API docker and skopeo speak).
    Registry,
    /// A call whose `X-Amz-Target` named neither service.
    Unknown,
}

impl AwsService {
    /// Lower-case name, as used in the request log and in fault rules.
    pub fn as_str(self) -> &'static str {
        match self {
            AwsService::Ecr => "ecr",
            AwsService::Ecs => "ecs",
            AwsService::Logs => "logs",
            AwsService::Registry => "registry",
            AwsService::Sts => "sts",
            AwsService::Unknown => "unknown",
        }
    }
}

/// The parsed `X-Amz-Target` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Service named by the prefix.
    pub service: AwsService,
    /// Operation name after the dot (may be empty or unknown; dispatch decides).
    pub operation: String,
}

/// Splits `Prefix.Operation`. Never fails: an unknown prefix yields [`AwsService::Unknown`] so the
/// call is still logged and answered with `UnknownOperationException`, as AWS does.
pub fn parse_target(header: Option<&str>) -> Target {
    let raw = header.unwrap_or("").trim();
    let (prefix, operation) = match raw.split_once('.') {
        Some((p, o)) => (p, o),
        None => (raw, ""),
    };
    let service = match prefix {
        ECR_TARGET_PREFIX => AwsService::Ecr,
        ECS_TARGET_PREFIX => AwsService::Ecs,
        LOGS_TARGET_PREFIX => AwsService::Logs,
        _ => AwsService::Unknown,
    };
    Target {
        service,
        operation: operation.to_string(),
    }
}

/// Reads the region from a SigV4 `Authorization` header's credential scope
/// (`Credential=AKID/20240101/us-east-1/ecs/aws4_request`).
pub fn region_from_authorization(header: Option<&str>) -> Option<String> {
    let header = header?;
    let after = header.split("Credential=").nth(1)?;
    let credential = after.split([',', ' ']).next()?;
    let region = credential.split('/').nth(2)?;
    let valid = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid.then(|| region.to_string())
}

/// A typed AWS error: `__type` code, message and HTTP status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    /// The error shape name (`RepositoryNotFoundException`, …).
    pub code: String,
    /// Human-readable message, worded like AWS's where known.
    pub message: String,
    /// 400 for client errors, 500 for `ServerException`.
    pub status: u16,
}

impl AwsError {
    /// A 400 error with the given shape name.
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        AwsError {
            code: code.to_string(),
            message: message.into(),
            status: 400,
        }
    }

    /// A 500 `ServerException`.
    pub fn server(message: impl Into<String>) -> Self {
        AwsError {
            code: "ServerException".to_string(),
            message: message.into(),
            status: 500,
        }
    }

    /// `InvalidParameterException` (both ECR and ECS declare it on every operation we serve).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::client("InvalidParameterException", message)
    }

    /// ECS `ClientException`.
    pub fn client_exception(message: impl Into<String>) -> Self {
        Self::client("ClientException", message)
    }

    /// The JSON body AWS sends for an error.
    pub fn body(&self) -> Value {
        serde_json::json!({ "__type": self.code, "message": self.message })
    }
}

/// Per-request facts the service handlers need to render ARNs.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// Region from the credential scope, else the world's default.
    pub region: String,
    /// The world's account id.
    pub account: String,
    /// The emulator's own URL (`http://127.0.0.1:PORT`), where its registry API answers; `None`
    /// outside a server (world loading).
    pub endpoint: Option<String>,
}

/// One AWS call as an operation handler sees it: the body still to decode, who asks, and when.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The JSON body as received.
    pub body: &'a [u8],
    /// Region and account.
    pub ctx: &'a RequestContext,
    /// Emulated time, epoch milliseconds.
    pub now_ms: i64,
}

impl Request<'_> {
    /// The body decoded into the operation's input type (see [`decode`]).
    pub fn input<T: DeserializeOwned>(&self) -> Result<T, AwsError> {
        decode(self.body)
    }
}

/// The handler of operation `name` in the first family that lists it; `None` when no family does
/// (the caller answers `UnknownOperationException`). A family is one module's table of
/// `(operation, handler)` pairs, so a new family is one more entry in the caller's list.
pub fn find_operation<H: Copy>(families: &[&[(&'static str, H)]], name: &str) -> Option<H> {
    families
        .iter()
        .flat_map(|family| family.iter())
        .find(|(op, _)| *op == name)
        .map(|(_, handler)| *handler)
}

/// Every operation name in `families`, in table order.
pub fn operation_names<H>(families: &[&[(&'static str, H)]]) -> Vec<&'static str> {
    families
        .iter()
        .flat_map(|family| family.iter().map(|(op, _)| *op))
        .collect()
}

/// Decodes a request body into a typed input. A missing required member becomes
/// `InvalidParameterException`; any other shape error is a `SerializationException` (what the
/// AWS JSON front end answers for bodies it cannot read).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        if let Some(rest) = text.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or("");
            AwsError::invalid(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ))
        } else {
            AwsError::client("SerializationException", format!("Unable to parse request body: {text}"))
        }
    })
}

/// Opaque pagination token: the operation it belongs to and an offset, hex-encoded so clients do
/// not rely on its layout.
pub fn encode_token(operation: &str, offset: usize) -> String {
    hex::encode(format!("{operation}:{offset}"))
}

/// Inverse of [`encode_token`]; a token from another operation or garbage is
/// `InvalidParameterException`, like AWS's "Invalid NextToken".
pub fn decode_token(operation: &str, token: Option<&str>) -> Result<usize, AwsError> {
    let Some(token) = token else { return Ok(0) };
    let bad = || {
        AwsError::invalid(
            "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
        )
    };
    let bytes = hex::decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (op, offset) = text.split_once(':').ok_or_else(bad)?;
    if op != operation {
        return Err(bad());
    }
    offset.parse().map_err(|_| bad())
}

/// One page of `items` starting at the token's offset, and the token for the next page.
pub fn paginate<T: Clone>(
    operation: &str,
    items: &[T],
    token: Option<&str>,
    page_size: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = decode_token(operation, token)?;
    if start > items.len() {
        return Err(AwsError::invalid(
            "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
        ));
    }
    let end = start.saturating_add(page_size).min(items.len());
    let next = (end < items.len()).then(|| encode_token(operation, end));
    Ok((items[start..end].to_vec(), next))
}

/// The output of a paginated list operation: `{ <key>: [page], "nextToken": … }`, the token only
/// when more items follow.
pub fn paginated<T: Clone + Serialize>(
    operation: &str,
    key: &str,
    items: &[T],
    token: Option<&str>,
    page_size: usize,
) -> Result<Value, AwsError> {
    let (page, next) = paginate(operation, items, token, page_size)?;
    let mut out = serde_json::Map::new();
    out.insert(key.to_string(), serde_json::json!(page));
    if let Some(n) = next {
        out.insert("nextToken".to_string(), Value::String(n));
    }
    Ok(Value::Object(out))
}

/// Validates an optional `maxResults` against the model's range and returns the page size.
pub fn page_size(
    max_results: Option<i64>,
    min: i64,
    max: i64,
    default: usize,
) -> Result<usize, AwsError> {
    match max_results {
        None => Ok(default),
        Some(n) if n >= min && n <= max => Ok(n as usize),
        Some(n) => Err(AwsError::invalid(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between {min} and {max}"
        ))),
    }
}

/// Epoch seconds as a JSON number (AWS JSON 1.1 timestamps). Milliseconds precision.
pub fn ts(ms: i64) -> Value {
    let value = ms as f64 / 1000.0;
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_split_and_unknown_prefix() {
        let t = parse_target(Some("AmazonEC2ContainerServiceV20141113.ListTasks"));
        assert_eq!(t.service, AwsService::Ecs);
        assert_eq!(t.operation, "ListTasks");
        let t = parse_target(Some("Foo.Bar"));
        assert_eq!(t.service, AwsService::Unknown);
        assert_eq!(parse_target(None).operation, "");
    }

    #[test]
    fn region_is_read_from_the_credential_scope() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-2/ecs/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(
            region_from_authorization(Some(h)).as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(region_from_authorization(Some("Bearer x")), None);
    }

    #[test]
    fn tokens_round_trip_and_reject_foreign_ones() {
        let t = encode_token("ListTasks", 100);
        assert_eq!(decode_token("ListTasks", Some(&t)), Ok(100));
        assert!(decode_token("ListImages", Some(&t)).is_err());
        assert!(decode_token("ListTasks", Some("zz")).is_err());
        let items: Vec<u32> = (0..5).collect();
        let (page, next) = paginate("X", &items, None, 2).unwrap();
        assert_eq!(page, vec![0, 1]);
        let (page, next) = paginate("X", &items, next.as_deref(), 2).unwrap();
        assert_eq!(page, vec![2, 3]);
        let (page, next) = paginate("X", &items, next.as_deref(), 2).unwrap();
        assert_eq!((page, next), (vec![4], None));
    }

    #[test]
    fn missing_member_is_invalid_parameter() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct In {
            name: String,
        }
        let e = decode::<In>(b"{}").unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        let e = decode::<In>(b"[1]").unwrap_err();
        assert_eq!(e.code, "SerializationException");
    }
}

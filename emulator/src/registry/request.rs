//! Registry HTTP as the handlers see it: the request (method, path, query, headers, body), the
//! response, the routes of the distribution API, and its error bodies
//! (`{"errors":[{"code","message","detail"}]}`).

use bytes::Bytes;
use serde_json::json;

/// One registry call.
#[derive(Clone, Debug, Default)]
pub struct RegistryRequest {
    /// `GET`, `HEAD`, `POST`, `PATCH`, `PUT`, `DELETE`.
    pub method: String,
    /// The path, from `/v2/` on, percent-decoded.
    pub path: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl RegistryRequest {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A registry answer, with the operation it is logged as and its error code, if any.
#[derive(Clone, Debug)]
pub struct RegistryResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers to send.
    pub headers: Vec<(String, String)>,
    /// Body (sent for every method but HEAD).
    pub body: Bytes,
    /// The ECR action this call stands for, for the request log.
    pub operation: &'static str,
    /// The distribution error code, for the request log.
    pub error: Option<String>,
}

impl RegistryResponse {
    /// An answer with no body.
    pub fn empty(status: u16, operation: &'static str) -> Self {
        RegistryResponse {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            operation,
            error: None,
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, operation: &'static str, body: String) -> Self {
        let mut r = Self::empty(status, operation);
        r.headers
            .push(("Content-Type".into(), "application/json".into()));
        r.body = Bytes::from(body);
        r
    }

    /// Adds a header.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// A distribution-spec error answer.
pub fn error(status: u16, operation: &'static str, code: &str, message: &str) -> RegistryResponse {
    error_with(status, operation, code, message, serde_json::Value::Null)
}

/// A distribution-spec error answer with a `detail`.
pub fn error_with(
    status: u16,
    operation: &'static str,
    code: &str,
    message: &str,
    detail: serde_json::Value,
) -> RegistryResponse {
    let body = json!({ "errors": [{ "code": code, "message": message, "detail": detail }] });
    let mut r = RegistryResponse::json(status, operation, body.to_string());
    r.error = Some(code.to_string());
    r
}

/// `NAME_UNKNOWN`: no repository of that name.
pub fn name_unknown(operation: &'static str, name: &str) -> RegistryResponse {
    error_with(
        404,
        operation,
        "NAME_UNKNOWN",
        "repository name not known to registry",
        json!({ "name": name }),
    )
}

/// What a registry path asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /v2/`: the version check (and login probe).
    Ping,
    /// `GET|HEAD /v2/<name>/blobs/<digest>`.
    Blob {
        /// Repository.
        name: String,
        /// Blob digest.
        digest: String,
        /// HEAD: headers only.
        head: bool,
    },
    /// `POST /v2/<name>/blobs/uploads/`: start (or, with `digest`, complete; with `mount`, mount).
    StartUpload {
        /// Repository.
        name: String,
    },
    /// `GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id>`.
    Upload {
        /// Repository.
        name: String,
        /// Upload id.
        id: String,
        /// The method.
        method: String,
    },
    /// `GET|HEAD /v2/<name>/manifests/<reference>`.
    Manifest {
        /// Repository.
        name: String,
        /// Tag or digest.
        reference: String,
        /// HEAD: headers only.
        head: bool,
    },
    /// `PUT /v2/<name>/manifests/<reference>`.
    PutManifest {
        /// Repository.
        name: String,
        /// Tag or digest.
        reference: String,
    },
    /// `GET /v2/<name>/tags/list`.
    Tags {
        /// Repository.
        name: String,
    },
    /// A route of the distribution API that ECR does not serve (deletes, the catalog).
    Unsupported {
        /// Logged as.
        operation: &'static str,
    },
    /// Anything else.
    NotFound,
}

impl Route {
    /// The ECR action that authorises this call on AWS (what the request log shows).
    pub fn operation(&self) -> &'static str {
        match self {
            Route::Ping => "GetAuthorizationToken",
            Route::Blob { head: true, .. } => "BatchCheckLayerAvailability",
            Route::Blob { head: false, .. } => "GetDownloadUrlForLayer",
            Route::StartUpload { .. } => "InitiateLayerUpload",
            Route::Upload { method, .. } if method == "PUT" => "CompleteLayerUpload",
            Route::Upload { .. } => "UploadLayerPart",
            Route::Manifest { .. } => "BatchGetImage",
            Route::PutManifest { .. } => "PutImage",
            Route::Tags { .. } => "ListImages",
            Route::Unsupported { operation } => operation,
            Route::NotFound => "Unknown",
        }
    }
}

/// Routes `METHOD /v2/<rest>`. Repository names contain slashes, so the route is found from
/// the end of the path.
pub fn route(method: &str, path: &str) -> Route {
    let Some(rest) = path.strip_prefix("/v2/") else {
        return if path == "/v2" && method == "GET" {
            Route::Ping
        } else {
            Route::NotFound
        };
    };
    if rest.is_empty() {
        return if matches!(method, "GET" | "HEAD") {
            Route::Ping
        } else {
            Route::NotFound
        };
    }
    if rest == "_catalog" {
        return Route::Unsupported {
            operation: "DescribeRepositories",
        };
    }
    let head = method == "HEAD";
    if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/") {
        let name = name.to_string();
        return match (id.trim_end_matches('/'), method) {
            ("", "POST") => Route::StartUpload { name },
            ("", _) => Route::NotFound,
            (id, "GET" | "PATCH" | "PUT" | "DELETE") => Route::Upload {
                name,
                id: id.to_string(),
                method: method.to_string(),
            },
            _ => Route::NotFound,
        };
    }
    if let Some((name, digest)) = rest.rsplit_once("/blobs/") {
        return match method {
            "GET" | "HEAD" => Route::Blob {
                name: name.to_string(),
                digest: digest.to_string(),
                head,
            },
            "DELETE" => Route::Unsupported {
                operation: "BatchDeleteImage",
            },
            _ => Route::NotFound,
        };
    }
    if let Some((name, reference)) = rest.rsplit_once("/manifests/") {
        let (name, reference) = (name.to_string(), reference.to_string());
        return match method {
            "GET" | "HEAD" => Route::Manifest {
                name,
                reference,
                head,
            },
            "PUT" => Route::PutManifest { name, reference },
            "DELETE" => Route::Unsupported {
                operation: "BatchDeleteImage",
            },
            _ => Route::NotFound,
        };
    }
    if let Some(name) = rest.strip_suffix("/tags/list")
        && method == "GET"
    {
        return Route::Tags {
            name: name.to_string(),
        };
    }
    Route::NotFound
}

/// Percent-decodes a path or query component (`%3A` → `:`; `+` is kept, as in paths).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if bytes[i] == b'%'
            && let Some(b) = hex
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a query string into decoded pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(&v.replace('+', " ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_find_names_with_slashes() {
        assert_eq!(route("GET", "/v2/"), Route::Ping);
        assert_eq!(
            route("HEAD", "/v2/team/app/blobs/sha256:ab"),
            Route::Blob {
                name: "team/app".into(),
                digest: "sha256:ab".into(),
                head: true
            }
        );
        assert_eq!(
            route("POST", "/v2/team/app/blobs/uploads/"),
            Route::StartUpload {
                name: "team/app".into()
            }
        );
        assert_eq!(
            route("PUT", "/v2/app/blobs/uploads/1-2"),
            Route::Upload {
                name: "app".into(),
                id: "1-2".into(),
                method: "PUT".into()
            }
        );
        assert_eq!(
            route("PUT", "/v2/a/b/manifests/prod"),
            Route::PutManifest {
                name: "a/b".into(),
                reference: "prod".into()
            }
        );
        assert_eq!(
            route("GET", "/v2/a/tags/list"),
            Route::Tags { name: "a".into() }
        );
        assert_eq!(route("POST", "/v2/a/manifests/x"), Route::NotFound);
    }

    #[test]
    fn query_decoding() {
        assert_eq!(
            parse_query("digest=sha256%3Aab&mount=x"),
            vec![
                ("digest".to_string(), "sha256:ab".to_string()),
                ("mount".to_string(), "x".to_string())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}

//! GetAuthorizationToken: the registry password docker, skopeo and oras log in with. As ECR
//! does, the token is base64 of `AWS:<password>` and expires after 12 hours; `proxyEndpoint` is
//! where the registry API answers, which for the emulator is its own address (see README:
//! "Pushing and pulling images").

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::protocol::{AwsError, Request, ts};

use super::Handler;
use super::model::{Ecr, Token};

/// How long a token is valid (ECR: 12 hours).
pub const TOKEN_LIFETIME_MS: i64 = 12 * 3_600_000;

/// The user name of every ECR registry login.
pub const REGISTRY_USER: &str = "AWS";

/// The authorization operations.
pub(super) const OPERATIONS: &[(&str, Handler)] = &[("GetAuthorizationToken", |ecr, r| {
    get_authorization_token(ecr, r.input()?, r)
})];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetAuthorizationTokenIn {
    registry_ids: Option<Vec<String>>,
}

impl Ecr {
    /// Issues a registry password valid for [`TOKEN_LIFETIME_MS`] from `now_ms`.
    pub fn issue_token(&mut self, now_ms: i64) -> Token {
        // Passwords only need to be unguessable by accident: the emulator is loopback-only and
        // checks them so that a client which forgot to log in fails as it would against ECR.
        let seed = format!("tagdeploy-emulator:{}:{now_ms}", self.tokens.len());
        let token = Token {
            password: hex::encode(Sha256::digest(seed.as_bytes())),
            expires_ms: now_ms + TOKEN_LIFETIME_MS,
        };
        self.tokens.retain(|t| t.expires_ms > now_ms);
        self.tokens.push(token.clone());
        token
    }

    /// Whether `user:password` is a login this registry issued and that has not expired.
    pub fn accepts(&self, user: &str, password: &str, now_ms: i64) -> bool {
        user == REGISTRY_USER
            && self
                .tokens
                .iter()
                .any(|t| t.password == password && t.expires_ms > now_ms)
    }
}

fn get_authorization_token(
    ecr: &mut Ecr,
    input: GetAuthorizationTokenIn,
    r: &Request<'_>,
) -> Result<Value, AwsError> {
    let ctx = r.ctx;
    let ids = input
        .registry_ids
        .unwrap_or_else(|| vec![ctx.account.clone()]);
    if ids.is_empty() || ids.len() > 10 {
        return Err(AwsError::invalid(
            "1 validation error detected: Value at 'registryIds' failed to satisfy constraint: Member must have length between 1 and 10",
        ));
    }
    if let Some(other) = ids.iter().find(|id| **id != ctx.account) {
        return Err(AwsError::invalid(format!(
            "Invalid parameter at 'registryIds': the emulator holds only registry '{}' (got '{other}')",
            ctx.account
        )));
    }
    let token = ecr.issue_token(r.now_ms);
    let encoded = STANDARD.encode(format!("{REGISTRY_USER}:{}", token.password));
    let proxy = ctx.endpoint.clone().unwrap_or_else(|| {
        format!(
            "https://{}.dkr.ecr.{}.amazonaws.com",
            ctx.account, ctx.region
        )
    });
    let data: Vec<Value> = ids
        .iter()
        .map(|_| {
            json!({
                "authorizationToken": encoded,
                "expiresAt": ts(token.expires_ms),
                "proxyEndpoint": proxy,
            })
        })
        .collect();
    Ok(json!({ "authorizationData": data }))
}

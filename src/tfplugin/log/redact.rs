//! Secrets out of log lines: every value the log layer writes goes through [`redact`], and
//! fields whose name says they hold a secret are replaced whole ([`secret_name`]). The AWS
//! SDK's TRACE events print signed requests, resolved identities and response bodies; this is
//! what keeps signatures, tokens and keys out of them.

use std::borrow::Cow;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Field names whose whole value is secret.
pub(super) fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "authorization",
        "secret",
        "password",
        "token",
        "signature",
        "external_id",
        "access_key",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Names after which a secret value follows (compared case-insensitively), longest first where
/// one contains another. `authorization` takes the rest of its quoted value (the header holds
/// spaces and commas); the others take one token.
const SECRET_KEYS: [&str; 17] = [
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
    "secret_access_key",
    "secretaccesskey",
    "access_key_id",
    "accesskeyid",
    "security_token",
    "securitytoken",
    "session_token",
    "sessiontoken",
    "authorization",
    "external_id",
    "externalid",
    "credential",
    "signature",
    "password",
];

/// Characters between a key and its value (`: "`, `=`, `\":\"`, `>`).
fn is_separator(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'\\' | b':' | b'=' | b' ' | b'>')
}

/// Characters that end a secret token.
fn ends_token(b: u8) -> bool {
    matches!(
        b,
        b'"' | b'\'' | b'\\' | b',' | b'&' | b';' | b'<' | b'}' | b')' | b']'
    ) || b.is_ascii_whitespace()
}

/// Replaces secrets in free text with [`REDACTED`]: the value after any of the secret names
/// (`Signature=…`, `x-amz-security-token: …`, `"secretAccessKey":"…"`, `<SessionToken>…`,
/// `ExternalId=…`, `authorization: "…"`), and AWS access key ids (`AKIA…`, `ASIA…`) anywhere.
pub fn redact(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let lower = lower.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = access_key_at(bytes, i) {
            out.push_str(&text[copied..i]);
            out.push_str(REDACTED);
            copied = end;
            i = end;
            continue;
        }
        let Some(key) = SECRET_KEYS
            .iter()
            .find(|key| lower[i..].starts_with(key.as_bytes()))
        else {
            i += 1;
            continue;
        };
        let mut start = i + key.len();
        let mut skipped = 0;
        while start < bytes.len() && skipped < 6 && is_separator(bytes[start]) {
            start += 1;
            skipped += 1;
        }
        let mut end = start;
        if *key == "authorization" {
            while end < bytes.len() && !matches!(bytes[end], b'"' | b'\n') {
                end += 1;
            }
        } else {
            while end < bytes.len() && !ends_token(bytes[end]) {
                end += 1;
            }
        }
        if skipped == 0 || end == start {
            // A word that merely contains the name (`credentials`), or nothing follows.
            i += key.len();
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
        i = end;
    }
    if copied == 0 {
        Cow::Borrowed(text)
    } else {
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }
}

/// The end of an AWS access key id starting at `i` (`AKIA` or `ASIA` and at least 12 more
/// uppercase letters or digits, not inside a longer word).
fn access_key_at(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = &bytes[i..];
    if !(rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA")) {
        return None;
    }
    if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let tail = rest[4..]
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        .count();
    (tail >= 12).then_some(i + 4 + tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_wherever_they_appear() {
        let cases = [
            (
                "authorization: \"AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0123abcd\"",
                "authorization: \"[redacted]\"",
            ),
            (
                "Credential=AKIDTEST/20250101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0123abcd",
                "Credential=[redacted], SignedHeaders=host, Signature=[redacted]",
            ),
            (
                "Credentials { provider_name: \"Environment\", access_key_id: \"AKIAMARKERMARKER\", secret_access_key: \"** redacted **\" }",
                "Credentials { provider_name: \"Environment\", access_key_id: \"[redacted]\", secret_access_key: \"[redacted] redacted **\" }",
            ),
            (
                "b\"{\\\"accessKeyId\\\":\\\"ASIA1234567890ABCDEF\\\",\\\"secretAccessKey\\\":\\\"s3cr3t/x+y=\\\",\\\"sessionToken\\\":\\\"tok\\\"}\"",
                "b\"{\\\"accessKeyId\\\":\\\"[redacted]\\\",\\\"secretAccessKey\\\":\\\"[redacted]\\\",\\\"sessionToken\\\":\\\"[redacted]\\\"}\"",
            ),
            (
                "<SessionToken>FwoGZXIvYXdz</SessionToken><SecretAccessKey>abc</SecretAccessKey>",
                "<SessionToken>[redacted]</SessionToken><SecretAccessKey>[redacted]</SecretAccessKey>",
            ),
            (
                "Action=AssumeRole&ExternalId=external-marker-44e1&RoleArn=arn",
                "Action=AssumeRole&ExternalId=[redacted]&RoleArn=arn",
            ),
            (
                "x-amz-security-token: token-marker-9a7d2b",
                "x-amz-security-token: [redacted]",
            ),
            ("key AKIAMARKERMARKER used", "key [redacted] used"),
            (
                "no secrets: credentials_provider=Environment, AKIA short",
                "no secrets: credentials_provider=Environment, AKIA short",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text}");
        }
        assert!(matches!(redact("plain text"), Cow::Borrowed(_)));
    }
}

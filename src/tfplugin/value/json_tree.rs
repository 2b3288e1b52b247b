//! A small strict JSON reader that keeps number text exactly as written.
//!
//! Why not `serde_json::Value`: without its `arbitrary_precision` feature it turns numbers into
//! `f64`/`i64`/`u64` (losing big integers and long decimals), and turning that feature on would
//! change `serde_json` for every crate in the build. This reader is a few lines of recursive
//! descent over a validated `&str`, with a nesting cap; string escapes are handed to
//! `serde_json` so that the tricky part (escapes, surrogate pairs) is not re-implemented.

use std::borrow::Cow;

use super::{CodecError, MAX_DEPTH};

/// One parsed JSON value. Strings and numbers borrow from the input where possible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    /// The number's text, already checked against the JSON number grammar.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in document order (duplicates kept; callers decide).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl Json<'_> {
    /// A word for error messages ("found an array").
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a bool",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses a whole JSON document (surrounding whitespace allowed, nothing else after it).
pub(crate) fn parse(bytes: &[u8]) -> Result<Json<'_>, CodecError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CodecError {
        path: String::new(),
        message: format!("JSON is not valid UTF-8: {e}"),
    })?;
    let mut parser = Parser { text, pos: 0 };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != text.len() {
        return Err(parser.error("unexpected data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> CodecError {
        CodecError {
            path: String::new(),
            message: format!("invalid JSON at byte {}: {what}", self.pos),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, CodecError> {
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Json<'a>) -> Result<Json<'a>, CodecError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(&format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(depth + 1)
    }

    fn array(&mut self, depth: usize) -> Result<Json<'a>, CodecError> {
        let depth = self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, CodecError> {
        let depth = self.enter(depth)?;
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected an object key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    /// Reads a string token starting at its opening quote.
    fn string(&mut self) -> Result<Cow<'a, str>, CodecError> {
        let open = self.pos;
        let bytes = self.text.as_bytes();
        let mut i = open + 1;
        let mut escaped = false;
        loop {
            match bytes.get(i) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(&b) if b < 0x20 => {
                    self.pos = i;
                    return Err(self.error("control character in string"));
                }
                Some(_) => i += 1,
            }
        }
        // `i` is at the closing quote; quotes are ASCII so both slices are on char boundaries.
        self.pos = i + 1;
        if !escaped {
            return Ok(Cow::Borrowed(&self.text[open + 1..i]));
        }
        serde_json::from_str::<String>(&self.text[open..=i])
            .map(Cow::Owned)
            .map_err(|e| {
                let mut err = self.error("bad string escape");
                err.message = format!("{}: {e}", err.message);
                err
            })
    }

    /// Reads a number token, checking the JSON grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Json<'a>, CodecError> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        let int_len = digits(&mut i);
        if int_len == 0 || (int_len > 1 && bytes[int_start] == b'0') {
            self.pos = i;
            return Err(self.error("malformed number"));
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                self.pos = i;
                return Err(self.error("malformed number"));
            }
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                self.pos = i;
                return Err(self.error("malformed number"));
            }
        }
        self.pos = i;
        Ok(Json::Number(&self.text[start..i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Json<'_> {
        match parse(text.as_bytes()) {
            Ok(j) => j,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn parses_documents_and_keeps_number_text() {
        assert_eq!(
            ok(r#" {"a": [1, -2.50e+3, true, null], "b\n": "x\u00e9\ud83d\ude00"} "#),
            Json::Object(vec![
                (
                    Cow::Borrowed("a"),
                    Json::Array(vec![
                        Json::Number("1"),
                        Json::Number("-2.50e+3"),
                        Json::Bool(true),
                        Json::Null
                    ])
                ),
                (
                    Cow::Owned("b\n".to_string()),
                    Json::String(Cow::Owned("xé😀".to_string()))
                ),
            ])
        );
        assert_eq!(
            ok("123456789012345678901234567890.5"),
            Json::Number("123456789012345678901234567890.5")
        );
        assert_eq!(ok("[]"), Json::Array(vec![]));
        assert_eq!(ok("{}"), Json::Object(vec![]));
    }

    #[test]
    fn rejects_malformed_json() {
        for bad in [
            "",
            "nul",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"abc",
            "\"\u{1}\"",
            "\"\\x\"",
            "[1] 2",
            "{1:2}",
            "'a'",
            "NaN",
            "\"\\ud800\"",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        assert!(parse(b"\"\xff\"").is_err());
    }

    #[test]
    fn caps_nesting_depth() {
        let deep_ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(deep_ok.as_bytes()).is_ok());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let err = parse(too_deep.as_bytes()).unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
        // A huge unclosed nest fails on depth, not on stack space.
        assert!(parse("[".repeat(1_000_000).as_bytes()).is_err());
    }
}

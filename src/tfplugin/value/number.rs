//! Number text: reading the decimal strings Terraform uses for numbers that do not fit an int or a
//! float64, and choosing the wire form (int, float or decimal text) for a [`Number`].
//!
//! Terraform (cty) parses number strings with Go's `big.ParseFloat(s, 10, …)`, which accepts an
//! optional sign, digits with an optional fraction, an optional decimal exponent, and `inf`/`Inf`.
//! We accept the same syntax (without Go's binary `p` exponents, which no encoder writes) and keep
//! the value exactly, as digits and a power of ten.

use super::Number;

/// Beyond this decimal exponent a number string is rejected. Far larger than any real value and
/// small enough that exponent arithmetic can never overflow.
const MAX_EXPONENT: i64 = 1_000_000_000;

/// At most this many zeros are written out in the plain form (`1000`, `0.001`) of a decimal;
/// beyond it the text uses an exponent (`1e400`) so that it stays short.
const MAX_PLAIN_ZEROS: i64 = 32;

/// An exact decimal number: `(-1)^negative × digits × 10^exponent`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    /// ASCII digits without leading or trailing zeros; empty means zero.
    digits: Vec<u8>,
    exponent: i64,
}

/// What a number string means.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Finite(Decimal),
    Infinite { negative: bool },
}

/// How a number goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireNumber {
    /// A whole number in `i64` range.
    Int(i64),
    /// A whole number above `i64::MAX` in `u64` range.
    UInt(u64),
    /// A float64 that is not a whole number in the ranges above (or is infinite).
    Float(f64),
    /// Exact decimal text in canonical form (valid as a JSON number and for cty's parser).
    Text(String),
}

/// Parses number text the way Terraform's cty does and returns the [`Number`] it denotes: whole
/// numbers in 64-bit range become [`Number::Int`]/[`Number::UInt`], infinities become
/// [`Number::Float`], everything else stays exact as [`Number::Decimal`] in canonical text.
pub(crate) fn number_from_text(text: &str) -> Result<Number, String> {
    match parse(text)? {
        Parsed::Infinite { negative } => Ok(Number::Float(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        })),
        Parsed::Finite(d) => Ok(match d.to_integer() {
            Some(Integer::Signed(i)) => Number::Int(i),
            Some(Integer::Unsigned(u)) => Number::UInt(u),
            None => Number::Decimal(d.canonical()),
        }),
    }
}

/// The [`Number`] for a float that arrived on the wire: whole numbers in 64-bit range become
/// ints (the value is exactly the same), NaN is refused (no Terraform number is NaN).
pub(crate) fn number_from_f64(f: f64) -> Result<Number, String> {
    // 2^63 and 2^64 are exact in f64, so these comparisons are exact.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    if f.is_nan() {
        return Err("NaN is not a number Terraform accepts".to_string());
    }
    if f.is_finite() && f.fract() == 0.0 {
        if (-TWO_63..TWO_63).contains(&f) {
            // In range and whole, so the cast is exact.
            return Ok(Number::Int(f as i64));
        }
        if (0.0..TWO_64).contains(&f) {
            return Ok(Number::UInt(f as u64));
        }
    }
    Ok(Number::Float(f))
}

/// Chooses the wire form for `n`, the way cty does: ints when the value is a whole number in
/// 64-bit range, float64 for binary floats, exact decimal text otherwise.
pub(crate) fn wire_number(n: &Number) -> Result<WireNumber, String> {
    match n {
        Number::Int(i) => Ok(WireNumber::Int(*i)),
        Number::UInt(u) => Ok(match i64::try_from(*u) {
            Ok(i) => WireNumber::Int(i),
            Err(_) => WireNumber::UInt(*u),
        }),
        Number::Float(f) => Ok(match number_from_f64(*f)? {
            Number::Int(i) => WireNumber::Int(i),
            Number::UInt(u) => WireNumber::UInt(u),
            _ => WireNumber::Float(*f),
        }),
        Number::Decimal(text) => match parse(text)? {
            Parsed::Infinite { negative } => Ok(WireNumber::Float(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })),
            Parsed::Finite(d) => Ok(match d.to_integer() {
                Some(Integer::Signed(i)) => WireNumber::Int(i),
                Some(Integer::Unsigned(u)) => WireNumber::UInt(u),
                None => WireNumber::Text(d.canonical()),
            }),
        },
    }
}

/// Exact decimal text for a finite float: the shortest text that reads back as the same float
/// (what cty writes for float numbers in JSON), in canonical form.
pub(crate) fn f64_text(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!("{f} cannot be written as a JSON number"));
    }
    // `Display` for f64 writes the shortest round-trip digits without an exponent.
    match parse(&f.to_string())? {
        Parsed::Finite(d) => Ok(d.canonical()),
        Parsed::Infinite { .. } => Err(format!("{f} cannot be written as a JSON number")),
    }
}

enum Integer {
    Signed(i64),
    Unsigned(u64),
}

impl Decimal {
    /// The value as a 64-bit integer, when it is whole and in range.
    fn to_integer(&self) -> Option<Integer> {
        if self.digits.is_empty() {
            return Some(Integer::Signed(0));
        }
        // More than 20 digits is always above u64::MAX; this also bounds the loop below.
        if self.exponent < 0 || self.digits.len() as i64 + self.exponent > 20 {
            return None;
        }
        let mut magnitude: u128 = 0;
        for &d in &self.digits {
            magnitude = magnitude * 10 + u128::from(d - b'0');
        }
        for _ in 0..self.exponent {
            magnitude *= 10;
        }
        if self.negative {
            if magnitude <= 1u128 << 63 {
                // -(2^63) is i64::MIN; everything smaller in magnitude fits after negation.
                let m = i128::try_from(magnitude).ok()?;
                return i64::try_from(-m).ok().map(Integer::Signed);
            }
            return None;
        }
        if let Ok(i) = i64::try_from(magnitude) {
            return Some(Integer::Signed(i));
        }
        u64::try_from(magnitude).ok().map(Integer::Unsigned)
    }

    /// Canonical text: plain form (`-12.5`, `0.001`, `1000`) when it needs at most
    /// [`MAX_PLAIN_ZEROS`] padding zeros, otherwise `d.ddde±N`. Always a valid JSON number.
    fn canonical(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_string();
        }
        // Digits are ASCII, so this conversion never fails; fall back to an empty string only to
        // avoid a panic path.
        let digits = std::str::from_utf8(&self.digits).unwrap_or_default();
        let n = self.digits.len() as i64;
        let mut out = String::with_capacity(digits.len() + 8);
        if self.negative {
            out.push('-');
        }
        // Position of the decimal point counted from the start of `digits`.
        let point = n + self.exponent;
        if self.exponent >= 0 && self.exponent <= MAX_PLAIN_ZEROS {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', self.exponent as usize));
        } else if self.exponent < 0 && point > 0 {
            let (int_part, frac_part) = digits.split_at(point as usize);
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac_part);
        } else if self.exponent < 0 && -point <= MAX_PLAIN_ZEROS {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(digits);
        } else {
            let (first, rest) = digits.split_at(1);
            out.push_str(first);
            if !rest.is_empty() {
                out.push('.');
                out.push_str(rest);
            }
            out.push('e');
            out.push_str(&(point - 1).to_string());
        }
        out
    }
}

/// Parses number text: `[+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?` or
/// `[+-]? (inf | Inf)`.
fn parse(text: &str) -> Result<Parsed, String> {
    let invalid = || format!("{text:?} is not a valid number");
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if rest == b"inf" || rest == b"Inf" {
        return Ok(Parsed::Infinite { negative });
    }

    let mut i = 0;
    let mut mantissa: Vec<u8> = Vec::new();
    let mut int_digits = 0usize;
    while i < rest.len() && rest[i].is_ascii_digit() {
        mantissa.push(rest[i]);
        int_digits += 1;
        i += 1;
    }
    let mut frac_digits = 0usize;
    if i < rest.len() && rest[i] == b'.' {
        i += 1;
        while i < rest.len() && rest[i].is_ascii_digit() {
            mantissa.push(rest[i]);
            frac_digits += 1;
            i += 1;
        }
    }
    if int_digits + frac_digits == 0 {
        return Err(invalid());
    }
    let mut exponent: i64 = 0;
    if i < rest.len() && (rest[i] == b'e' || rest[i] == b'E') {
        i += 1;
        let exp_negative = match rest.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while i < rest.len() && rest[i].is_ascii_digit() {
            exponent = exponent * 10 + i64::from(rest[i] - b'0');
            if exponent > MAX_EXPONENT {
                return Err(format!("{text:?} has an exponent out of range"));
            }
            i += 1;
        }
        if i == start {
            return Err(invalid());
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != rest.len() {
        return Err(invalid());
    }

    // Normalise: drop leading zeros, move trailing zeros into the exponent.
    let first_nonzero = mantissa.iter().position(|&d| d != b'0');
    let Some(first_nonzero) = first_nonzero else {
        return Ok(Parsed::Finite(Decimal {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }));
    };
    mantissa.drain(..first_nonzero);
    let mut trailing = 0i64;
    while mantissa.last() == Some(&b'0') {
        mantissa.pop();
        trailing += 1;
    }
    // frac_digits ≤ input length, so this cannot overflow given MAX_EXPONENT.
    let exponent = exponent - frac_digits as i64 + trailing;
    Ok(Parsed::Finite(Decimal {
        negative,
        digits: mantissa,
        exponent,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Number {
        match number_from_text(text) {
            Ok(n) => n,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn whole_numbers_in_range_become_ints() {
        assert_eq!(num("0"), Number::Int(0));
        assert_eq!(num("-0"), Number::Int(0));
        assert_eq!(num("42"), Number::Int(42));
        assert_eq!(num("+42"), Number::Int(42));
        assert_eq!(num("0042"), Number::Int(42));
        assert_eq!(num("4.2e1"), Number::Int(42));
        assert_eq!(num("4200e-2"), Number::Int(42));
        assert_eq!(num("42.000"), Number::Int(42));
        assert_eq!(num("-9223372036854775808"), Number::Int(i64::MIN));
        assert_eq!(num("9223372036854775807"), Number::Int(i64::MAX));
        assert_eq!(num("9223372036854775808"), Number::UInt(1 << 63));
        assert_eq!(num("18446744073709551615"), Number::UInt(u64::MAX));
    }

    #[test]
    fn out_of_range_and_fractions_stay_exact_decimals() {
        assert_eq!(
            num("18446744073709551616"),
            Number::Decimal("18446744073709551616".into())
        );
        assert_eq!(
            num("-9223372036854775809"),
            Number::Decimal("-9223372036854775809".into())
        );
        assert_eq!(num("0.1"), Number::Decimal("0.1".into()));
        assert_eq!(num(".5"), Number::Decimal("0.5".into()));
        assert_eq!(num("5."), Number::Int(5));
        assert_eq!(num("-1.50"), Number::Decimal("-1.5".into()));
        assert_eq!(
            num("3.14159265358979323846264338327950288"),
            Number::Decimal("3.14159265358979323846264338327950288".into())
        );
        assert_eq!(num("1e400"), Number::Decimal("1e400".into()));
        assert_eq!(num("12.5e-40"), Number::Decimal("1.25e-39".into()));
        assert_eq!(num("1e-5"), Number::Decimal("0.00001".into()));
        assert_eq!(
            num("1e30"),
            Number::Decimal("1000000000000000000000000000000".into())
        );
    }

    #[test]
    fn infinities_are_floats() {
        assert_eq!(num("inf"), Number::Float(f64::INFINITY));
        assert_eq!(num("+Inf"), Number::Float(f64::INFINITY));
        assert_eq!(num("-inf"), Number::Float(f64::NEG_INFINITY));
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "0x10",
            "1_000",
            "nan",
            "NaN",
            "INF",
            "infinity",
            " 1",
            "1 ",
            "1e99999999999",
            "--1",
        ] {
            assert!(number_from_text(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn floats_from_the_wire() {
        assert_eq!(number_from_f64(3.0), Ok(Number::Int(3)));
        assert_eq!(number_from_f64(-0.0), Ok(Number::Int(0)));
        assert_eq!(number_from_f64(0.5), Ok(Number::Float(0.5)));
        assert_eq!(
            number_from_f64(9_223_372_036_854_775_808.0),
            Ok(Number::UInt(1 << 63))
        );
        assert_eq!(number_from_f64(1e300), Ok(Number::Float(1e300)));
        assert_eq!(
            number_from_f64(f64::NEG_INFINITY),
            Ok(Number::Float(f64::NEG_INFINITY))
        );
        assert!(number_from_f64(f64::NAN).is_err());
    }

    #[test]
    fn wire_forms() {
        assert_eq!(wire_number(&Number::UInt(5)), Ok(WireNumber::Int(5)));
        assert_eq!(
            wire_number(&Number::UInt(u64::MAX)),
            Ok(WireNumber::UInt(u64::MAX))
        );
        assert_eq!(wire_number(&Number::Float(2.0)), Ok(WireNumber::Int(2)));
        assert_eq!(wire_number(&Number::Float(2.5)), Ok(WireNumber::Float(2.5)));
        assert_eq!(
            wire_number(&Number::Decimal("7.0".into())),
            Ok(WireNumber::Int(7))
        );
        assert_eq!(
            wire_number(&Number::Decimal("00.10".into())),
            Ok(WireNumber::Text("0.1".into()))
        );
        assert!(wire_number(&Number::Decimal("seven".into())).is_err());
        assert!(wire_number(&Number::Float(f64::NAN)).is_err());
    }

    #[test]
    fn float_text_is_shortest_round_trip() {
        assert_eq!(f64_text(0.1).as_deref(), Ok("0.1"));
        assert_eq!(f64_text(-2.5).as_deref(), Ok("-2.5"));
        assert_eq!(f64_text(1e300).as_deref(), Ok("1e300"));
        assert_eq!(f64_text(5e-324).as_deref(), Ok("5e-324"));
        assert!(f64_text(f64::INFINITY).is_err());
    }
}

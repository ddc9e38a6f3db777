//! Selector evaluation with Java's comparison and conversion rules.

use std::cmp::Ordering;

use super::{CmpOp, Expr, TextOp, Value};

/// An evaluation failure (a Java exception thrown while evaluating).
#[derive(Debug)]
pub(super) struct EvalError(pub(super) String);

pub(super) fn eval<'a>(
    e: &Expr,
    prop: &impl Fn(&str) -> Option<&'a str>,
) -> Result<Value, EvalError> {
    Ok(match e {
        Expr::Const(v) => v.clone(),
        Expr::Property(name) => prop(name).map_or(Value::Null, |s| Value::Str(s.to_owned())),
        Expr::BoolCast(inner) => match eval(inner, prop)? {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            _ => Value::Bool(false),
        },
        Expr::Negate(inner) => match eval(inner, prop)? {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Long(l) => Value::Long(l.wrapping_neg()),
            Value::Double(d) => Value::Double(-d),
            _ => Value::Null,
        },
        Expr::Not(inner) => match eval(inner, prop)? {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(!b),
            v => return Err(EvalError(format!("{v:?} is not a boolean"))),
        },
        Expr::And(l, r) => {
            let lv = boolean(eval(l, prop)?)?;
            if lv == Some(false) {
                return Ok(Value::Bool(false));
            }
            let rv = boolean(eval(r, prop)?)?;
            match (lv, rv) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            }
        }
        Expr::Or(l, r) => {
            let lv = boolean(eval(l, prop)?)?;
            if lv == Some(true) {
                return Ok(Value::Bool(true));
            }
            let rv = boolean(eval(r, prop)?)?;
            match (lv, rv) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            }
        }
        Expr::Equal(l, r) => {
            let (lv, rv) = (eval(l, prop)?, eval(r, prop)?);
            match (&lv, &rv) {
                (Value::Null, Value::Null) => Value::Bool(true),
                (Value::Null, _) => Value::Null,
                (_, Value::Null) => Value::Bool(false),
                _ if java_equals(&lv, &rv) => Value::Bool(true),
                _ => Value::Bool(java_compare(&lv, &rv)? == Ordering::Equal),
            }
        }
        Expr::Compare(l, op, r) => {
            let lv = eval(l, prop)?;
            if lv == Value::Null {
                return Ok(Value::Null);
            }
            let rv = eval(r, prop)?;
            if rv == Value::Null {
                return Ok(Value::Null);
            }
            let order = match (&lv, &rv) {
                // Ordering strings is illegal unless both read as numbers.
                (Value::Str(a), Value::Str(b)) => {
                    match (java_parse_double(a), java_parse_double(b)) {
                        (Some(x), Some(y)) => java_double_cmp(x, y),
                        _ => {
                            return Err(EvalError(format!(
                                "It's illegal to compare string by '>=', '>', '<', '<='. lv={a}, rv={b}"
                            )));
                        }
                    }
                }
                _ => java_compare(&lv, &rv)?,
            };
            Value::Bool(match op {
                CmpOp::Gt => order == Ordering::Greater,
                CmpOp::Ge => order != Ordering::Less,
                CmpOp::Lt => order == Ordering::Less,
                CmpOp::Le => order != Ordering::Greater,
            })
        }
        Expr::In {
            property,
            list,
            not,
        } => match prop(property) {
            None => Value::Null,
            Some(v) => Value::Bool(list.iter().any(|s| s == v) ^ not),
        },
        Expr::Text {
            operand,
            op,
            search,
            not,
        } => {
            if search.is_empty() {
                return Ok(Value::Bool(false));
            }
            let Value::Str(s) = eval(operand, prop)? else {
                return Ok(Value::Bool(false));
            };
            let hit = match op {
                TextOp::Contains => s.contains(search.as_str()),
                TextOp::StartsWith => s.starts_with(search.as_str()),
                TextOp::EndsWith => s.ends_with(search.as_str()),
            };
            Value::Bool(hit ^ not)
        }
    })
}

fn boolean(v: Value) -> Result<Option<bool>, EvalError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        v => Err(EvalError(format!("{v:?} is not a boolean"))),
    }
}

/// Java `Object.equals` between boxed values (same type and value; doubles by bits).
fn java_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Java `ComparisonExpression.__compare` with string conversion on: same types compare
/// naturally; numbers widen; a string converts to the other side's type (failing on a bad
/// number); other mixes compare as "less".
pub(super) fn java_compare(lv: &Value, rv: &Value) -> Result<Ordering, EvalError> {
    use Value::{Bool, Double, Int, Long, Str};
    let bad = |s: &str| EvalError(format!("NumberFormatException: For input string: \"{s}\""));
    Ok(match (lv, rv) {
        (Bool(a), Bool(b)) => a.cmp(b),
        (Int(a), Int(b)) => a.cmp(b),
        (Long(a), Long(b)) => a.cmp(b),
        (Double(a), Double(b)) => java_double_cmp(*a, *b),
        (Str(a), Str(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        // Java casts the boolean to a string here and fails.
        (Bool(_), Str(_)) => {
            return Err(EvalError(
                "ClassCastException: Boolean cannot be cast to String".into(),
            ));
        }
        (Int(a), Long(b)) => i64::from(*a).cmp(b),
        (Int(a), Double(b)) => java_double_cmp(f64::from(*a), *b),
        (Int(a), Str(s)) => a.cmp(&java_parse_int(s).ok_or_else(|| bad(s))?),
        (Long(a), Int(b)) => a.cmp(&i64::from(*b)),
        #[allow(clippy::cast_precision_loss)] // Java widens long to double the same way
        (Long(a), Double(b)) => java_double_cmp(*a as f64, *b),
        (Long(a), Str(s)) => a.cmp(&java_parse_long(s).ok_or_else(|| bad(s))?),
        (Double(a), Int(b)) => java_double_cmp(*a, f64::from(*b)),
        #[allow(clippy::cast_precision_loss)]
        (Double(a), Long(b)) => java_double_cmp(*a, *b as f64),
        (Double(a), Str(s)) => java_double_cmp(*a, java_parse_double(s).ok_or_else(|| bad(s))?),
        (Str(s), Bool(b)) => s.eq_ignore_ascii_case("true").cmp(b),
        (Str(s), Int(b)) => java_parse_int(s).ok_or_else(|| bad(s))?.cmp(b),
        (Str(s), Long(b)) => java_parse_long(s).ok_or_else(|| bad(s))?.cmp(b),
        (Str(s), Double(b)) => java_double_cmp(java_parse_double(s).ok_or_else(|| bad(s))?, *b),
        _ => Ordering::Less,
    })
}

/// Java `Double.compareTo`: NaN above everything and equal to itself, -0.0 below 0.0.
fn java_double_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

/// Java `Integer.valueOf(String)`: optional sign, decimal digits, in range.
fn java_parse_int(s: &str) -> Option<i32> {
    java_parse_long(s).and_then(|v| i32::try_from(v).ok())
}

/// Java `Long.valueOf(String)`.
fn java_parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Java `Double.valueOf(String)`: surrounding whitespace and control characters are
/// ignored, an `f`/`d` suffix is allowed, and `NaN`/`Infinity` are spelled as in Java.
fn java_parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let ok = !body.is_empty()
        && body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_number_parsing() {
        assert_eq!(java_parse_double(" 1.5f "), Some(1.5));
        assert_eq!(java_parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(java_parse_double("NaN").is_some_and(f64::is_nan));
        for bad in ["inf", "nan", "1,5", "", "e", "0x10"] {
            assert_eq!(java_parse_double(bad), None, "{bad}");
        }
        assert_eq!(java_parse_long("+12"), Some(12));
        assert_eq!(java_parse_long(" 12"), None);
        assert_eq!(java_parse_int("2147483648"), None);
        assert_eq!(java_double_cmp(-0.0, 0.0), Ordering::Less);
        assert_eq!(java_double_cmp(f64::NAN, f64::INFINITY), Ordering::Greater);
    }
}

//! Doubles as fastjson writes them: the shortest digits that read back to the same value
//! (fastjson 1.2.x uses Ryu), laid out like Java's `Double.toString`: plain decimal with at
//! least one fraction digit for magnitudes in `[1e-3, 1e7)`, otherwise `d.dddE[-]x`.

/// Formats `v` as fastjson writes a `double`. Callers handle NaN and infinities (fastjson
/// writes `null` for them); here they come out as Java's names.
pub(crate) fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.2345e-7" or "5e3".
    let mut sci = format!("{v:e}");
    let exp_of = |s: &str| s.split_once('e').and_then(|(_, e)| e.parse::<i32>().ok());
    let single_digit = sci
        .split_once('e')
        .is_some_and(|(m, _)| m.trim_start_matches('-').len() == 1);
    if single_digit && !exp_of(&sci).is_some_and(|e| (-3..7).contains(&e)) {
        // Like Java, fastjson's Ryu prints at least two significant digits in scientific
        // notation: the correctly rounded two-digit value (5e-324 prints as 4.9E-324).
        sci = format!("{v:.1e}");
    }
    let (negative, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci.as_str()),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = usize::try_from(exp).unwrap_or(0) + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::java_double;

    #[test]
    fn matches_java_double_to_string() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (0.001, "0.001"),
            (0.000_1, "1.0E-4"),
            (1_234_567.0, "1234567.0"),
            (9_999_999.0, "9999999.0"),
            (10_000_000.0, "1.0E7"),
            (12_345_678.9, "1.23456789E7"),
            (1.0e-10, "1.0E-10"),
            (1.5e300, "1.5E300"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (0.3333333333333333, "0.3333333333333333"),
            (123.456, "123.456"),
        ];
        for (v, want) in cases {
            assert_eq!(java_double(*v), *want, "{v:e}");
        }
    }
}

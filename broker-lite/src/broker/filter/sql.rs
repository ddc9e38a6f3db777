//! SQL-92 message selectors as Java RocketMQ evaluates them (the `filter` module's
//! `SelectorParser` grammar and the `ComparisonExpression`/`UnaryExpression`/
//! `LogicExpression` semantics, 5.x operator set).
//!
//! Grammar, loosest first: `OR`; `AND`; `=`, `<>`, `IS [NOT] NULL`; `>`, `>=`, `<`, `<=`,
//! `[NOT] BETWEEN x AND y`, `[NOT] IN ('a', ..)`, `[NOT] CONTAINS|STARTSWITH|ENDSWITH 's'`;
//! unary `+`, `-`, `NOT`; literals (`'str'` with `''` escapes, integers with an optional
//! `L`, decimals with exponents, `TRUE`, `FALSE`, `NULL`), property names
//! (`[a-zA-Z_$][a-zA-Z0-9_$]*`) and parentheses. Keywords are case-insensitive; `--` line
//! and `/* */` block comments are skipped. As in Java, `NOT` binds tighter than the
//! comparisons (`NOT a = 1` is `(NOT a) = 1`) and parsing stops at the first token that
//! cannot continue the expression (trailing text is ignored).
//!
//! Evaluation is three-valued (`NULL` for unknown) over the message's string properties;
//! a message matches only when the result is `TRUE`. Comparisons convert between numbers
//! and strings as Java does with `convertStringExpressions`; a conversion that fails makes
//! the whole evaluation fail, which counts as no match.

mod eval;
mod lex;

use std::cmp::Ordering;
use std::fmt;

use eval::{eval, java_compare};
use lex::{Kw, Tok, lex};

/// A parse failure (Java `MQFilterException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SqlError(pub(crate) String);

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid MessageSelector. {}", self.0)
    }
}

/// A value during evaluation (Java's boxed `Boolean`, `Integer`, `Long`, `Double`,
/// `String`; `Null` is Java's `null`).
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(String),
}

/// A compiled selector.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Selector(Expr);

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Const(Value),
    Property(String),
    /// A property used where a boolean is expected.
    BoolCast(Box<Expr>),
    Negate(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Equal(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    In {
        property: String,
        list: Vec<String>,
        not: bool,
    },
    Text {
        operand: Box<Expr>,
        op: TextOp,
        search: String,
        not: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

impl Expr {
    /// Java `BooleanExpression`: comparisons, logic, `NOT`, casts and `TRUE`/`FALSE`/`NULL`.
    fn is_boolean(&self) -> bool {
        match self {
            Expr::Const(v) => matches!(v, Value::Bool(_) | Value::Null),
            Expr::Property(_) | Expr::Negate(_) => false,
            _ => true,
        }
    }
}

impl Selector {
    /// Compiles an expression (Java `SelectorParser.parse`).
    pub(crate) fn parse(text: &str) -> Result<Selector, SqlError> {
        let tokens = lex(text);
        let mut p = Parser { tokens, pos: 0 };
        let e = p.or_expr()?;
        Ok(Selector(as_boolean(e)?))
    }

    /// Whether a message with these properties matches (the result is `TRUE`; an
    /// evaluation error is no match, as in Java's broker).
    pub(crate) fn matches<'a>(&self, property: impl Fn(&str) -> Option<&'a str>) -> bool {
        matches!(eval(&self.0, &property), Ok(Value::Bool(true)))
    }
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

fn err<T>(msg: impl Into<String>) -> Result<T, SqlError> {
    Err(SqlError(msg.into()))
}

/// Java `asBooleanExpression`.
fn as_boolean(e: Expr) -> Result<Expr, SqlError> {
    match e {
        Expr::Property(_) => Ok(Expr::BoolCast(Box::new(e))),
        e if e.is_boolean() => Ok(e),
        e => err(format!(
            "Expression will not result in a boolean value: {e:?}"
        )),
    }
}

/// Java `checkLessThanOperand`: constants must be numbers, and boolean expressions
/// cannot be ordered.
fn check_orderable(e: &Expr) -> Result<(), SqlError> {
    match e {
        Expr::Const(Value::Int(_) | Value::Long(_) | Value::Double(_)) => Ok(()),
        Expr::Const(v) => err(format!("Value '{v:?}' cannot be compared.")),
        e if e.is_boolean() => err("a boolean expression cannot be compared."),
        _ => Ok(()),
    }
}

fn compare_expr(left: Expr, op: CmpOp, right: Expr) -> Result<Expr, SqlError> {
    check_orderable(&left)?;
    check_orderable(&right)?;
    Ok(Expr::Compare(Box::new(left), op, Box::new(right)))
}

/// Java `createEqual`: no `NULL` constant operand, and a `TRUE`/`FALSE` constant on the
/// left only against another boolean constant.
fn equal_expr(left: Expr, right: Expr) -> Result<Expr, SqlError> {
    for e in [&left, &right] {
        if matches!(e, Expr::Const(Value::Null)) {
            return err("'NULL' cannot be compared.");
        }
    }
    if let (Expr::Const(Value::Bool(_)), Expr::Const(r)) = (&left, &right)
        && !matches!(r, Value::Bool(_))
    {
        return err("a boolean constant cannot be compared with a non-boolean one");
    }
    Ok(Expr::Equal(Box::new(left), Box::new(right)))
}

fn not(e: Expr) -> Expr {
    Expr::Not(Box::new(e))
}

impl Parser {
    /// The next token; reaching a lexical error fails, as Java's token manager does
    /// when the parser looks ahead.
    fn peek(&self) -> Result<Option<&Tok>, SqlError> {
        match self.tokens.get(self.pos) {
            Some(Tok::Bad(msg)) => err(msg.clone()),
            t => Ok(t),
        }
    }

    fn peek2(&self) -> Result<Option<&Tok>, SqlError> {
        match self.tokens.get(self.pos + 1) {
            Some(Tok::Bad(msg)) => err(msg.clone()),
            t => Ok(t),
        }
    }

    fn next(&mut self) -> Result<Tok, SqlError> {
        match self.tokens.get(self.pos) {
            None => err("unexpected end of expression"),
            Some(Tok::Bad(msg)) => err(msg.clone()),
            Some(t) => {
                self.pos += 1;
                Ok(t.clone())
            }
        }
    }

    fn at_kw(&self, kw: Kw) -> Result<bool, SqlError> {
        Ok(self.peek()? == Some(&Tok::Kw(kw)))
    }

    fn at_sym(&self, s: &str) -> Result<bool, SqlError> {
        Ok(matches!(self.peek()?, Some(Tok::Sym(t)) if *t == s))
    }

    fn expect_kw(&mut self, kw: Kw) -> Result<(), SqlError> {
        match self.next()? {
            Tok::Kw(k) if k == kw => Ok(()),
            t => err(format!("expected {kw:?}, found {t:?}")),
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), SqlError> {
        match self.next()? {
            Tok::Sym(t) if t == s => Ok(()),
            t => err(format!("expected {s:?}, found {t:?}")),
        }
    }

    fn string(&mut self) -> Result<String, SqlError> {
        match self.next()? {
            Tok::Str(s) => Ok(s),
            t => err(format!("expected a string literal, found {t:?}")),
        }
    }

    fn or_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.and_expr()?;
        while self.at_kw(Kw::Or)? {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(as_boolean(left)?), Box::new(as_boolean(right)?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.equality_expr()?;
        while self.at_kw(Kw::And)? {
            self.pos += 1;
            let right = self.equality_expr()?;
            left = Expr::And(Box::new(as_boolean(left)?), Box::new(as_boolean(right)?));
        }
        Ok(left)
    }

    fn equality_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.comparison_expr()?;
        loop {
            if self.at_sym("=")? {
                self.pos += 1;
                let right = self.comparison_expr()?;
                left = equal_expr(left, right)?;
            } else if self.at_sym("<>")? {
                self.pos += 1;
                let right = self.comparison_expr()?;
                left = not(equal_expr(left, right)?);
            } else if self.at_kw(Kw::Is)? {
                self.pos += 1;
                let negated = self.at_kw(Kw::Not)?;
                if negated {
                    self.pos += 1;
                }
                self.expect_kw(Kw::Null)?;
                let is_null = Expr::Equal(Box::new(left), Box::new(Expr::Const(Value::Null)));
                left = if negated { not(is_null) } else { is_null };
            } else {
                return Ok(left);
            }
        }
    }

    fn comparison_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.unary_expr()?;
        loop {
            let (negated, op) = match self.peek()? {
                None => return Ok(left),
                Some(Tok::Kw(Kw::Not)) => match self.peek2()? {
                    Some(Tok::Kw(k))
                        if matches!(
                            k,
                            Kw::Contains | Kw::StartsWith | Kw::EndsWith | Kw::Between | Kw::In
                        ) =>
                    {
                        (true, Tok::Kw(*k))
                    }
                    _ => return Ok(left),
                },
                Some(t) => (false, t.clone()),
            };
            let cmp = match &op {
                Tok::Sym(">") => Some(CmpOp::Gt),
                Tok::Sym(">=") => Some(CmpOp::Ge),
                Tok::Sym("<") => Some(CmpOp::Lt),
                Tok::Sym("<=") => Some(CmpOp::Le),
                _ => None,
            };
            if let Some(cmp) = cmp {
                self.pos += 1;
                let right = self.unary_expr()?;
                left = compare_expr(left, cmp, right)?;
                continue;
            }
            let text = match &op {
                Tok::Kw(Kw::Contains) => Some(TextOp::Contains),
                Tok::Kw(Kw::StartsWith) => Some(TextOp::StartsWith),
                Tok::Kw(Kw::EndsWith) => Some(TextOp::EndsWith),
                _ => None,
            };
            if let Some(text_op) = text {
                self.pos += 1 + usize::from(negated);
                let search = self.string()?;
                left = Expr::Text {
                    operand: Box::new(left),
                    op: text_op,
                    search,
                    not: negated,
                };
                continue;
            }
            match op {
                Tok::Kw(Kw::Between) => {
                    self.pos += 1 + usize::from(negated);
                    let low = self.unary_expr()?;
                    self.expect_kw(Kw::And)?;
                    let high = self.unary_expr()?;
                    left = if negated {
                        Expr::Or(
                            Box::new(compare_expr(left.clone(), CmpOp::Lt, low)?),
                            Box::new(compare_expr(left, CmpOp::Gt, high)?),
                        )
                    } else {
                        check_between_bounds(&low, &high)?;
                        Expr::And(
                            Box::new(compare_expr(left.clone(), CmpOp::Ge, low)?),
                            Box::new(compare_expr(left, CmpOp::Le, high)?),
                        )
                    };
                }
                Tok::Kw(Kw::In) => {
                    self.pos += 1 + usize::from(negated);
                    self.expect_sym("(")?;
                    let mut list = vec![self.string()?];
                    while self.at_sym(",")? {
                        self.pos += 1;
                        list.push(self.string()?);
                    }
                    self.expect_sym(")")?;
                    let Expr::Property(property) = left else {
                        return err("Expected a property for In expression");
                    };
                    left = Expr::In {
                        property,
                        list,
                        not: negated,
                    };
                }
                _ => return Ok(left),
            }
        }
    }

    fn unary_expr(&mut self) -> Result<Expr, SqlError> {
        if self.at_sym("+")? {
            self.pos += 1;
            return self.unary_expr();
        }
        if self.at_sym("-")? {
            self.pos += 1;
            return Ok(Expr::Negate(Box::new(self.unary_expr()?)));
        }
        if self.at_kw(Kw::Not)? {
            self.pos += 1;
            let operand = self.unary_expr()?;
            return Ok(not(as_boolean(operand)?));
        }
        self.primary_expr()
    }

    fn primary_expr(&mut self) -> Result<Expr, SqlError> {
        match self.next()? {
            Tok::Str(s) => Ok(Expr::Const(Value::Str(s))),
            Tok::Int(digits) => {
                let n: i64 = digits
                    .parse()
                    .map_err(|_| SqlError(format!("number {digits} is out of range")))?;
                Ok(Expr::Const(
                    i32::try_from(n).map_or(Value::Long(n), Value::Int),
                ))
            }
            Tok::Float(text) => {
                let v: f64 = text
                    .parse()
                    .map_err(|_| SqlError(format!("bad number {text}")))?;
                // Java refuses values above Double.MAX_VALUE and below Double.MIN_VALUE
                // (the smallest positive double): this includes 0.0.
                if v > f64::MAX {
                    return err(format!("{text} is greater than {}", f64::MAX));
                }
                if v < 4.9e-324 {
                    return err(format!("{text} is less than 4.9E-324"));
                }
                Ok(Expr::Const(Value::Double(v)))
            }
            Tok::Kw(Kw::True) => Ok(Expr::Const(Value::Bool(true))),
            Tok::Kw(Kw::False) => Ok(Expr::Const(Value::Bool(false))),
            Tok::Kw(Kw::Null) => Ok(Expr::Const(Value::Null)),
            Tok::Id(name) => Ok(Expr::Property(name)),
            Tok::Sym("(") => {
                let e = self.or_expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            t => err(format!("unexpected {t:?}")),
        }
    }
}

/// Java `createBetween`'s check on constant bounds: neither `NULL`, and high >= low.
fn check_between_bounds(low: &Expr, high: &Expr) -> Result<(), SqlError> {
    if let (Expr::Const(lo), Expr::Const(hi)) = (low, high) {
        if matches!(lo, Value::Null) || matches!(hi, Value::Null) {
            return err("Illegal values of between, values can not be null!");
        }
        let order = java_compare(hi, lo).map_err(|e| SqlError(e.0))?;
        if order == Ordering::Less {
            return err(format!(
                "Illegal values of between, left value({lo:?}) must less than or equal to right value({hi:?})"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn check(sql: &str, pairs: &[(&str, &str)]) -> bool {
        let p = props(pairs);
        Selector::parse(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .matches(|k| p.get(k).map(String::as_str))
    }

    #[test]
    fn comparisons_and_conversions() {
        let m = [("a", "5"), ("s", "abc"), ("f", "2.5"), ("TAGS", "TagA")];
        for (sql, want) in [
            ("a = 5", true),
            ("a = '5'", true),
            ("a <> 5", false),
            ("a > 4", true),
            ("a >= 5", true),
            ("a < 5", false),
            ("a <= 5.0", true),
            ("a > 4.5", true),
            ("f > 2", false), // Java reads '2.5' as an integer here and fails
            ("f > 2.0", true),
            ("f = 2.5", true),
            ("a > 10000000000", false),
            ("a BETWEEN 1 AND 5", true),
            ("a BETWEEN 6 AND 9", false),
            ("a NOT BETWEEN 6 AND 9", true),
            ("s = 'abc'", true),
            ("s <> 'abd'", true),
            ("TAGS IN ('TagA', 'TagB')", true),
            ("TAGS NOT IN ('TagA')", false),
            ("s CONTAINS 'b'", true),
            ("s NOT CONTAINS 'b'", false),
            ("s STARTSWITH 'ab'", true),
            ("s ENDSWITH 'bc'", true),
            ("s NOT ENDSWITH 'x'", true),
            ("s CONTAINS ''", false),
            ("a = -5", false),
            ("-a = -5", false), // a string negates to NULL
            ("a = 5 AND s = 'abc'", true),
            ("a = 6 OR s = 'abc'", true),
            ("NOT (a = 6)", true),
            ("(a = 6 OR a = 5) AND NOT s = 'x'", false), // (NOT s) = 'x' cannot be evaluated
            ("TRUE", true),
            ("FALSE OR a = 5", true),
            ("a = 5 -- trailing comment\n", true),
            ("/* note */ a = 5", true),
            ("a = 5 ) ignored", true), // Java stops at the first token it cannot use
            ("a IS NOT NULL", true),
            ("missing IS NULL", true),
            ("missing IS NOT NULL", false),
            ("s = TRUE", false),
            ("a = 5L", true),
            ("a = 05e0", true),
            ("f > .5", true),
            ("s > a", false),  // strings that are not numbers: evaluation fails
            ("a > f", true),   // strings that read as numbers
            ("a = 05", false), // Java reads "0" then a new number "5" (ignored): a = 0
            ("a = 1 -- no line end", false), // two '-' signs, ignored as trailing text
        ] {
            assert_eq!(check(sql, &m), want, "{sql}");
        }
    }

    #[test]
    fn three_valued_logic_with_missing_properties() {
        let m = [("a", "1")];
        for (sql, want) in [
            ("missing = 1", false),
            ("NOT (missing = 1)", false),
            ("missing > 1 OR a = 1", true),
            ("missing > 1 AND a = 1", false),
            ("missing <> 1", false),
            ("missing IN ('x')", false),
            ("missing NOT IN ('x')", false),
            ("missing NOT CONTAINS 'x'", false),
            ("a BETWEEN missing AND 3", false),
        ] {
            assert_eq!(check(sql, &m), want, "{sql}");
        }
    }

    #[test]
    fn evaluation_errors_mean_no_match() {
        // 'abc' cannot be read as the integer on the other side.
        assert!(!check("s = 1 OR a = 1", &[("s", "abc"), ("a", "1")]));
        assert!(check("a = 1 OR s = 1", &[("s", "abc"), ("a", "1")]));
        // Boolean on the left of a string: Java fails with a ClassCastException.
        assert!(!check("TRUE = s", &[("s", "true")]));
        assert!(check("s = TRUE", &[("s", "TRUE")]));
    }

    #[test]
    fn keywords_and_names() {
        assert!(check(
            "a = 1 and B = 'x' Or c Is Null",
            &[("a", "1"), ("B", "x")]
        ));
        assert!(check("$x_1 = 'y'", &[("$x_1", "y")]));
        assert!(check("andy = 1", &[("andy", "1")]));
        // Property names are case-sensitive.
        assert!(!check("A = 1", &[("a", "1")]));
        assert!(check("s = 'it''s'", &[("s", "it's")]));
    }

    #[test]
    fn parse_errors() {
        for sql in [
            "",
            "a =",
            "a = 'x",
            "a == 1",
            "a != 1",
            "a = NULL",
            "NULL = a",
            "TRUE = 1",
            "a > 'x'",
            "a > TRUE",
            "(a > 1) > 1",
            "a BETWEEN 5 AND 1",
            "a BETWEEN NULL AND 1",
            "'x' IN ('x')",
            "a IN ()",
            "a IN (1)",
            "1",
            "'x'",
            "-a",
            "a > 0.0",
            "a > 'x'",
            "s > 'a'",
            "a = 9223372036854775808",
            "a.b = 1",
            "a = 1 #",
            "a = 1 /* open",
            "# comment",
            "(a = 1",
            "NOT 5",
            "a CONTAINS b",
        ] {
            assert!(Selector::parse(sql).is_err(), "{sql:?} parsed");
        }
        // A bad character after the point where parsing stops is never reached.
        assert!(Selector::parse("a = 1 ) #").is_ok());
        let e = Selector::parse("a = ").unwrap_err();
        assert!(e.to_string().starts_with("Invalid MessageSelector."), "{e}");
    }
}

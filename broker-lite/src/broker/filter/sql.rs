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

use std::cmp::Ordering;
use std::fmt;

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

// ---------------------------------------------------------------- lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Kw(Kw),
    Id(String),
    Str(String),
    Int(String),
    Float(String),
    Sym(&'static str),
    /// A lexical error: parsing fails only if the parser reaches it.
    Bad(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    Not,
    And,
    Or,
    Between,
    In,
    True,
    False,
    Null,
    Is,
    Contains,
    StartsWith,
    EndsWith,
}

fn keyword(word: &str) -> Option<Kw> {
    const WORDS: [(&str, Kw); 12] = [
        ("NOT", Kw::Not),
        ("AND", Kw::And),
        ("OR", Kw::Or),
        ("BETWEEN", Kw::Between),
        ("IN", Kw::In),
        ("TRUE", Kw::True),
        ("FALSE", Kw::False),
        ("NULL", Kw::Null),
        ("IS", Kw::Is),
        ("CONTAINS", Kw::Contains),
        ("STARTSWITH", Kw::StartsWith),
        ("ENDSWITH", Kw::EndsWith),
    ];
    WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(word))
        .map(|(_, k)| *k)
}

/// Tokenizes up to the first lexical error (kept as a `Bad` token).
fn lex(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let digits_from = |mut j: usize| {
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    // The end of an exponent starting at `j` (`E[+-]digits`), if there is one.
    let exponent_at = |j: usize| -> Option<usize> {
        if j < chars.len() && matches!(chars[j], 'e' | 'E') {
            let mut k = j + 1;
            if k < chars.len() && matches!(chars[k], '+' | '-') {
                k += 1;
            }
            let end = digits_from(k);
            (end > k).then_some(end)
        } else {
            None
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
            i += 1;
            continue;
        }
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            // A line comment needs its line end; without one, Java reads two '-' signs.
            if let Some(n) = chars[i..].iter().position(|&c| c == '\n' || c == '\r') {
                i += n + 1;
                continue;
            }
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let rest: String = chars[i + 2..].iter().collect();
            match rest.find("*/") {
                Some(n) => {
                    i += 2 + rest[..n].chars().count() + 2;
                    continue;
                }
                None => {
                    out.push(Tok::Bad("unterminated comment".into()));
                    return out;
                }
            }
        }
        if c == '\'' {
            let mut s = String::new();
            let mut j = i + 1;
            let mut closed = false;
            while j < chars.len() {
                if chars[j] == '\'' {
                    if chars.get(j + 1) == Some(&'\'') {
                        s.push('\'');
                        j += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                s.push(chars[j]);
                j += 1;
            }
            if !closed {
                out.push(Tok::Bad("unterminated string literal".into()));
                return out;
            }
            out.push(Tok::Str(s));
            i = j + 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let int_end = digits_from(i);
            let (end, float) = if int_end < chars.len() && chars[int_end] == '.' {
                let frac_end = digits_from(int_end + 1);
                (exponent_at(frac_end).unwrap_or(frac_end), true)
            } else if let Some(e) = exponent_at(int_end) {
                (e, true)
            } else {
                (int_end, false)
            };
            let word: String = chars[i..end].iter().collect();
            if float {
                out.push(Tok::Float(word));
                i = end;
            } else if word.len() > 1 && word.starts_with('0') {
                // Java's longest match is "0"; the digits after it are a new number.
                out.push(Tok::Int("0".into()));
                i += 1;
            } else {
                let long = chars.get(end).is_some_and(|c| matches!(c, 'l' | 'L'));
                out.push(Tok::Int(word));
                i = end + usize::from(long);
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || chars[j] == '_' || chars[j] == '$')
            {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            out.push(keyword(&word).map_or(Tok::Id(word), Tok::Kw));
            i = j;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let sym = match two.as_str() {
            "<>" => Some("<>"),
            ">=" => Some(">="),
            "<=" => Some("<="),
            _ => None,
        };
        if let Some(s) = sym {
            out.push(Tok::Sym(s));
            i += 2;
            continue;
        }
        let one = match c {
            '=' => "=",
            '>' => ">",
            '<' => "<",
            '(' => "(",
            ')' => ")",
            ',' => ",",
            '+' => "+",
            '-' => "-",
            _ => {
                out.push(Tok::Bad(format!("unexpected character {c:?}")));
                return out;
            }
        };
        out.push(Tok::Sym(one));
        i += 1;
    }
    out
}

// ---------------------------------------------------------------- parser

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

// ---------------------------------------------------------------- evaluation

/// An evaluation failure (a Java exception thrown while evaluating).
#[derive(Debug)]
struct EvalError(String);

fn eval<'a>(e: &Expr, prop: &impl Fn(&str) -> Option<&'a str>) -> Result<Value, EvalError> {
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
fn java_compare(lv: &Value, rv: &Value) -> Result<Ordering, EvalError> {
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

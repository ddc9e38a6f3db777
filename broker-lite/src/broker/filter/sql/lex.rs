//! The selector tokenizer (Java's `SelectorParser.jj` tokens).

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
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
pub(super) enum Kw {
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
pub(super) fn lex(text: &str) -> Vec<Tok> {
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

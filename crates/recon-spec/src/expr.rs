//! The expressions inside `${...}` that the spec itself evaluates, before anything reaches AWS:
//! parameters (`param.cidr`), the environment (`env`), the current `for_each` element
//! (`each.key`, `each.value`, `each.index`), literals, indexing (`param.azs[0]`) and a few pure
//! functions (`cidrsubnet`, `cidrhost`, `if`). No general language: no operators, no loops.
//!
//! A reference to a resource (`${vpc.main.id}`) is not evaluated here; it is given back as
//! text, with any expression in its brackets evaluated (`${subnet.public[each.key].id}` becomes
//! `${subnet.public[us-east-1a].id}`), and is resolved at apply time as before.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// A value known before any AWS call: a parameter's, an element's, or a function's result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Pv {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Pv>),
    Map(BTreeMap<String, Pv>),
}

impl Pv {
    /// "a list", "the text \"a\"": for "expected X, found Y".
    pub fn describe(&self) -> String {
        match self {
            Pv::Str(s) => format!("the text {s:?}"),
            Pv::Int(i) => format!("the number {i}"),
            Pv::Bool(b) => format!("the boolean {b}"),
            Pv::List(_) => "a list".into(),
            Pv::Map(_) => "a mapping".into(),
        }
    }

    /// The text a scalar becomes inside a longer string; `None` for lists and mappings.
    pub fn text(&self) -> Option<String> {
        match self {
            Pv::Str(s) => Some(s.clone()),
            Pv::Int(i) => Some(i.to_string()),
            Pv::Bool(b) => Some(b.to_string()),
            Pv::List(_) | Pv::Map(_) => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Pv::Str(s) => s.clone().into(),
            Pv::Int(i) => (*i).into(),
            Pv::Bool(b) => (*b).into(),
            Pv::List(items) => items.iter().map(Pv::to_json).collect(),
            Pv::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
        }
    }
}

impl fmt::Display for Pv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(&self.to_json()).unwrap_or_default())
    }
}

/// The current `for_each` element.
#[derive(Clone, Debug)]
pub(crate) struct Each {
    pub key: String,
    pub value: Pv,
    pub index: usize,
}

/// What names mean while evaluating.
pub(crate) struct Scope<'a> {
    /// The environment's name in the file (`staging`), when the file has `environments:`.
    pub env: Option<&'a str>,
    pub params: &'a BTreeMap<String, Pv>,
    /// Every declared parameter name (a parameter without a value is still known).
    pub declared: &'a [String],
    pub each: Option<&'a Each>,
}

/// What an expression evaluates to.
#[derive(Debug, PartialEq)]
pub(crate) enum Out {
    Value(Pv),
    /// A resource reference, to be resolved at apply time: the text to put back in `${...}`.
    Reference(String),
}

/// Evaluation failed: the message, and advice.
#[derive(Debug, PartialEq)]
pub(crate) struct ExprError {
    pub message: String,
    pub help: String,
}

fn err(message: impl Into<String>, help: impl Into<String>) -> ExprError {
    ExprError {
        message: message.into(),
        help: help.into(),
    }
}

/// The names an expression starts with besides functions; any other `word.` is a reference.
pub(crate) const NAMESPACES: &[&str] = &["param", "each", "env"];

/// The functions, for docs and "did you mean".
pub(crate) const FUNCTIONS: &[&str] = &["cidrsubnet", "cidrhost", "if", "slice"];

/// Evaluates the text between `${` and `}`.
pub(crate) fn eval(src: &str, scope: &Scope<'_>) -> Result<Out, ExprError> {
    let mut p = Parser {
        s: src.as_bytes(),
        src,
        i: 0,
    };
    p.ws();
    // A resource reference: `kind.name...`. Any dotted name outside the expression's own
    // namespaces is taken as one, so that the checker says what is wrong with it (`efs.data`:
    // "unknown resource kind").
    let word = p.peek_ident();
    if !NAMESPACES.contains(&word) && src[p.i + word.len()..].starts_with('.') {
        return reference(&mut p, scope).map(Out::Reference);
    }
    let v = p.expr(scope)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(err(
            format!("unexpected `{}` in `${{{src}}}`", &src[p.i..]),
            "an expression is a parameter (`param.name`), `env`, `each.key`, `each.value`, `each.index`, a literal, or a function call such as `cidrsubnet(param.cidr, 8, each.index)`",
        ));
    }
    Ok(Out::Value(v))
}

/// `kind.name`, `kind.name[expr]`, then `.attr` parts as written.
fn reference(p: &mut Parser<'_>, scope: &Scope<'_>) -> Result<String, ExprError> {
    let mut out = String::new();
    while p.i < p.s.len() {
        let c = p.s[p.i];
        if c == b'[' {
            p.i += 1;
            p.ws();
            if p.s.get(p.i) == Some(&b'*') {
                return Err(err(
                    "`[*]` means every instance, which a template cannot hold",
                    "name one instance (`${subnet.public[us-east-1a].id}`, or `[each.key]`), or use `subnet.public[*]` as a list of references",
                ));
            }
            let key = p.expr(scope)?;
            p.ws();
            if !p.eat(b']') {
                return Err(err("unclosed `[`", "close the instance key with `]`"));
            }
            let Some(key) = key.text() else {
                return Err(err(
                    format!("an instance key must be text, found {}", key.describe()),
                    "use `each.key` or a key such as `us-east-1a`",
                ));
            };
            out.push('[');
            out.push_str(&key);
            out.push(']');
        } else if c.is_ascii_whitespace() {
            break;
        } else {
            out.push(c as char);
            p.i += 1;
        }
    }
    p.ws();
    if p.i < p.s.len() {
        return Err(err(
            format!("unexpected `{}` after the reference", &p.src[p.i..]),
            "a reference is `${kind.name.attribute}`, e.g. `${vpc.main.id}`",
        ));
    }
    Ok(out)
}

struct Parser<'s> {
    s: &'s [u8],
    src: &'s str,
    i: usize,
}

impl<'s> Parser<'s> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek_ident(&self) -> &'s str {
        let start = self.i;
        let mut end = start;
        while self
            .s
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            end += 1;
        }
        &self.src[start..end]
    }

    fn ident(&mut self) -> &'s str {
        let word = self.peek_ident();
        self.i += word.len();
        word
    }

    /// A primary, then any `[index]` and `.field` after it.
    fn expr(&mut self, scope: &Scope<'_>) -> Result<Pv, ExprError> {
        let mut v = self.primary(scope)?;
        loop {
            if self.eat(b'[') {
                let index = self.expr(scope)?;
                if !self.eat(b']') {
                    return Err(err("unclosed `[`", "close the index with `]`"));
                }
                v = index_into(v, &index)?;
            } else if self.s.get(self.i) == Some(&b'.') {
                self.i += 1;
                let field = self.ident();
                v = index_into(v, &Pv::Str(field.to_owned()))?;
            } else {
                return Ok(v);
            }
        }
    }

    fn primary(&mut self, scope: &Scope<'_>) -> Result<Pv, ExprError> {
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err(err(
                "empty expression",
                "write a parameter (`${param.name}`), `${env}`, `${each.key}` or a function call",
            ));
        };
        if c.is_ascii_digit() || c == b'-' {
            let start = self.i;
            self.i += 1;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            return self.src[start..self.i].parse().map(Pv::Int).map_err(|_| {
                err(
                    format!("`{}` is not a number", &self.src[start..self.i]),
                    "write a whole number",
                )
            });
        }
        if c == b'\'' || c == b'"' {
            self.i += 1;
            let start = self.i;
            while self.s.get(self.i).is_some_and(|&b| b != c) {
                self.i += 1;
            }
            if self.i >= self.s.len() {
                return Err(err("unterminated text", "close the text with its quote"));
            }
            let text = self.src[start..self.i].to_owned();
            self.i += 1;
            return Ok(Pv::Str(text));
        }
        let word = self.ident();
        if word.is_empty() {
            return Err(err(
                format!("unexpected `{}`", &self.src[self.i..]),
                "write a parameter (`${param.name}`), `${env}`, `${each.key}` or a function call",
            ));
        }
        self.ws();
        if self.s.get(self.i) == Some(&b'(') {
            self.i += 1;
            let mut args = Vec::new();
            if !self.eat(b')') {
                loop {
                    args.push(self.expr(scope)?);
                    if self.eat(b')') {
                        break;
                    }
                    if !self.eat(b',') {
                        return Err(err(
                            format!("expected `,` or `)` in the call of `{word}`"),
                            "separate arguments with `,` and close the call with `)`",
                        ));
                    }
                }
            }
            return call(word, &args);
        }
        match word {
            "true" => Ok(Pv::Bool(true)),
            "false" => Ok(Pv::Bool(false)),
            "env" => scope.env.map(|e| Pv::Str(e.to_owned())).ok_or_else(|| {
                err(
                    "`env` is only known in a file with `environments:`",
                    "add `environments:` naming each environment, or remove `${env}`",
                )
            }),
            "param" => {
                if self.s.get(self.i) != Some(&b'.') {
                    return Err(err("`param` needs a name", "write `param.<name>`"));
                }
                self.i += 1;
                let name = self.ident();
                match scope.params.get(name) {
                    Some(v) => Ok(v.clone()),
                    None if scope.declared.iter().any(|d| d == name) => Err(err(
                        format!("parameter `{name}` has no value"),
                        "give it a value (see the parameter's own diagnostic)",
                    )),
                    None => Err(err(
                        format!("no parameter `{name}`"),
                        match crate::suggest::closest(name, scope.declared.iter().map(String::as_str)) {
                            Some(c) => format!("did you mean `param.{c}`?"),
                            None if scope.declared.is_empty() => {
                                "declare it under `parameters:`".to_owned()
                            }
                            None => format!(
                                "the parameters are {}",
                                crate::values::all_of(
                                    &scope.declared.iter().map(String::as_str).collect::<Vec<_>>()
                                )
                            ),
                        },
                    )),
                }
            }
            "each" => {
                let Some(each) = scope.each else {
                    return Err(err(
                        "`each` is only known inside a `for_each`",
                        "add `for_each:` to the resource (or list item), or remove `each`",
                    ));
                };
                if self.s.get(self.i) != Some(&b'.') {
                    return Err(err(
                        "`each` needs a field",
                        "write `each.key`, `each.value` or `each.index`",
                    ));
                }
                self.i += 1;
                match self.ident() {
                    "key" => Ok(Pv::Str(each.key.clone())),
                    "value" => Ok(each.value.clone()),
                    "index" => Ok(Pv::Int(each.index as i64)),
                    other => Err(err(
                        format!("`each` has no `{other}`"),
                        "write `each.key`, `each.value` or `each.index`",
                    )),
                }
            }
            other => Err(err(
                format!("unknown name `{other}`"),
                match crate::suggest::closest(other, ["param", "env", "each"].into_iter().chain(FUNCTIONS.iter().copied())) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => "write a parameter (`param.name`), `env`, `each.key`, `each.value`, `each.index`, or a resource reference such as `vpc.main.id`".to_owned(),
                },
            )),
        }
    }
}

fn index_into(v: Pv, index: &Pv) -> Result<Pv, ExprError> {
    match (&v, index) {
        (Pv::List(items), Pv::Int(i)) => usize::try_from(*i)
            .ok()
            .and_then(|i| items.get(i).cloned())
            .ok_or_else(|| {
                err(
                    format!("index {i} is outside the list of {} items", items.len()),
                    "the first item is `[0]`",
                )
            }),
        (Pv::Map(m), Pv::Str(k)) => m.get(k).cloned().ok_or_else(|| {
            err(
                format!("the mapping has no key `{k}`"),
                format!(
                    "its keys are {}",
                    crate::values::all_of(&m.keys().map(String::as_str).collect::<Vec<_>>())
                ),
            )
        }),
        _ => Err(err(
            format!("cannot index {} with {}", v.describe(), index.describe()),
            "index a list with a number (`[0]`) and a mapping with a key (`.name` or `['name']`)",
        )),
    }
}

/// The functions. Each checks its arguments and says what it expected.
fn call(name: &str, args: &[Pv]) -> Result<Pv, ExprError> {
    let arity = |n: usize, usage: &str| {
        if args.len() == n {
            Ok(())
        } else {
            Err(err(
                format!("`{name}` takes {n} arguments, found {}", args.len()),
                format!("write `{usage}`"),
            ))
        }
    };
    match name {
        "cidrsubnet" => {
            const USAGE: &str = "cidrsubnet(prefix, newbits, netnum)";
            arity(3, USAGE)?;
            let net = cidr_arg(name, &args[0])?;
            let (newbits, netnum) = (
                int_arg(name, "newbits", &args[1])?,
                int_arg(name, "netnum", &args[2])?,
            );
            cidrsubnet(net, newbits, netnum).map(|n| Pv::Str(n.to_string()))
        }
        "cidrhost" => {
            arity(2, "cidrhost(prefix, hostnum)")?;
            let net = cidr_arg(name, &args[0])?;
            let hostnum = int_arg(name, "hostnum", &args[1])?;
            cidrhost(net, hostnum).map(|a| Pv::Str(a.to_string()))
        }
        "if" => {
            arity(3, "if(condition, then, else)")?;
            match &args[0] {
                Pv::Bool(true) => Ok(args[1].clone()),
                Pv::Bool(false) => Ok(args[2].clone()),
                other => Err(err(
                    format!("`if` needs a boolean condition, found {}", other.describe()),
                    "use a `bool` parameter, e.g. `if(param.nat_per_az, each.key, param.azs[0])`",
                )),
            }
        }
        "slice" => {
            arity(3, "slice(list, start, end)")?;
            let Pv::List(items) = &args[0] else {
                return Err(err(
                    format!("`slice` needs a list first, found {}", args[0].describe()),
                    "pass a list, e.g. `slice(param.azs, 0, 1)`",
                ));
            };
            let (start, end) = (
                int_arg(name, "start", &args[1])?,
                int_arg(name, "end", &args[2])?,
            );
            let len = items.len() as i64;
            if !(0 <= start && start <= end && end <= len) {
                return Err(err(
                    format!("`slice`: {start} to {end} is not within the list of {len} items"),
                    format!("use 0 <= start <= end <= {len}"),
                ));
            }
            Ok(Pv::List(items[start as usize..end as usize].to_vec()))
        }
        other => Err(err(
            format!("unknown function `{other}`"),
            match crate::suggest::closest(other, FUNCTIONS.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("the functions are {}", crate::values::all_of(FUNCTIONS)),
            },
        )),
    }
}

fn cidr_arg(function: &str, v: &Pv) -> Result<Ipv4Net, ExprError> {
    let Pv::Str(s) = v else {
        return Err(err(
            format!(
                "`{function}` needs a CIDR block first, found {}",
                v.describe()
            ),
            "pass a block such as `param.cidr` or `'10.0.0.0/16'`",
        ));
    };
    s.parse().map_err(|_| {
        err(
            format!("`{function}`: `{s}` is not an IPv4 CIDR block"),
            "pass a block such as `10.0.0.0/16`",
        )
    })
}

fn int_arg(function: &str, what: &str, v: &Pv) -> Result<i64, ExprError> {
    match v {
        Pv::Int(i) => Ok(*i),
        other => Err(err(
            format!(
                "`{function}`: `{what}` must be a whole number, found {}",
                other.describe()
            ),
            "pass a number, `each.index`, or an `int` parameter",
        )),
    }
}

/// Terraform's `cidrsubnet`: the `netnum`-th block of `prefix + newbits` bits inside `net`.
///
/// # Guarantees
/// The result lies inside `net` and has no host bits set; out-of-range arguments are errors,
/// never a wrapped or truncated block.
pub(crate) fn cidrsubnet(net: Ipv4Net, newbits: i64, netnum: i64) -> Result<Ipv4Net, ExprError> {
    let prefix = i64::from(net.prefix_len()) + newbits;
    if !(1..=32).contains(&newbits) || prefix > 32 {
        return Err(err(
            format!(
                "`cidrsubnet`: {} + {newbits} new bits makes a /{prefix}, outside /1 to /32",
                net
            ),
            "use fewer new bits: a /16 with 8 new bits gives /24 blocks",
        ));
    }
    let count = 1i64 << newbits;
    if !(0..count).contains(&netnum) {
        return Err(err(
            format!(
                "`cidrsubnet`: {net} has {count} blocks of /{prefix}; block {netnum} is not one of them"
            ),
            format!(
                "use a block number from 0 to {}, or more new bits",
                count - 1
            ),
        ));
    }
    let base = u32::from(net.network());
    let shift = 32 - prefix as u32;
    let addr = base | ((netnum as u32) << shift);
    Ok(Ipv4Net::new(Ipv4Addr::from(addr), prefix as u8).expect("prefix is at most 32"))
}

/// Terraform's `cidrhost`: the `hostnum`-th address of `net`; a negative number counts from
/// the end (`-1` is the last address).
pub(crate) fn cidrhost(net: Ipv4Net, hostnum: i64) -> Result<Ipv4Addr, ExprError> {
    let size = 1i64 << (32 - u32::from(net.prefix_len()));
    let n = if hostnum < 0 { size + hostnum } else { hostnum };
    if !(0..size).contains(&n) {
        return Err(err(
            format!("`cidrhost`: {net} has {size} addresses; host {hostnum} is not one of them"),
            format!(
                "use a host number from 0 to {} (or -1 for the last)",
                size - 1
            ),
        ));
    }
    Ok(Ipv4Addr::from(u32::from(net.network()) + n as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_eval(src: &str) -> Result<Out, ExprError> {
        let params = BTreeMap::from([
            ("cidr".to_owned(), Pv::Str("10.1.0.0/16".into())),
            (
                "azs".to_owned(),
                Pv::List(vec![
                    Pv::Str("us-east-1a".into()),
                    Pv::Str("us-east-1b".into()),
                ]),
            ),
            ("per_az".to_owned(), Pv::Bool(false)),
        ]);
        let declared: Vec<String> = params.keys().cloned().chain(["port".to_owned()]).collect();
        let each = Each {
            key: "us-east-1b".into(),
            value: Pv::Str("us-east-1b".into()),
            index: 1,
        };
        eval(
            src,
            &Scope {
                env: Some("staging"),
                params: &params,
                declared: &declared,
                each: Some(&each),
            },
        )
    }

    fn value(src: &str) -> Pv {
        match scope_eval(src) {
            Ok(Out::Value(v)) => v,
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn cidr_functions_match_terraform() {
        let net: Ipv4Net = "10.1.0.0/16".parse().unwrap();
        assert_eq!(cidrsubnet(net, 8, 2).unwrap().to_string(), "10.1.2.0/24");
        assert_eq!(cidrsubnet(net, 4, 15).unwrap().to_string(), "10.1.240.0/20");
        assert!(cidrsubnet(net, 8, 256).is_err());
        assert!(cidrsubnet(net, 17, 0).is_err());
        assert!(cidrsubnet(net, 0, 0).is_err());
        assert_eq!(cidrhost(net, 5).unwrap().to_string(), "10.1.0.5");
        assert_eq!(cidrhost(net, -1).unwrap().to_string(), "10.1.255.255");
        assert!(cidrhost(net, 65536).is_err());
    }

    #[test]
    fn expressions() {
        assert_eq!(value("param.cidr"), Pv::Str("10.1.0.0/16".into()));
        assert_eq!(value(" env "), Pv::Str("staging".into()));
        assert_eq!(value("each.index"), Pv::Int(1));
        assert_eq!(value("param.azs[0]"), Pv::Str("us-east-1a".into()));
        assert_eq!(
            value("cidrsubnet(param.cidr, 8, each.index)"),
            Pv::Str("10.1.1.0/24".into())
        );
        assert_eq!(
            value("cidrsubnet(cidrsubnet(param.cidr, 4, 1), 4, 2)"),
            Pv::Str("10.1.18.0/24".into())
        );
        assert_eq!(
            value("cidrhost('10.0.0.0/24', 10)"),
            Pv::Str("10.0.0.10".into())
        );
        assert_eq!(
            value("if(param.per_az, each.key, param.azs[0])"),
            Pv::Str("us-east-1a".into())
        );
        assert_eq!(
            value("slice(param.azs, 0, 1)"),
            Pv::List(vec![Pv::Str("us-east-1a".into())])
        );
        assert_eq!(
            scope_eval("subnet.public[each.key].id").unwrap(),
            Out::Reference("subnet.public[us-east-1b].id".into())
        );
        assert_eq!(
            scope_eval("vpc.main.id").unwrap(),
            Out::Reference("vpc.main.id".into())
        );
    }

    #[test]
    fn errors_say_what_to_write() {
        let e = |src: &str| scope_eval(src).unwrap_err();
        assert_eq!(e("param.cdir").help, "did you mean `param.cidr`?");
        assert_eq!(e("param.port").message, "parameter `port` has no value");
        assert_eq!(
            e("cidrsubnet(param.cidr, 8)").message,
            "`cidrsubnet` takes 3 arguments, found 2"
        );
        assert_eq!(
            e("cidrsubnt(param.cidr, 8, 1)").help,
            "did you mean `cidrsubnet`?"
        );
        assert!(e("each.name").message.contains("no `name`"));
        assert!(e("param.azs[5]").message.contains("outside"));
        assert!(e("slice(param.azs, 1, 3)").message.contains("not within"));
        assert!(e("subnet.public[*].id").message.contains("[*]"));
        assert!(e("param.cidr param.azs").message.contains("unexpected"));
    }
}

//! The scenario language: a small Python-like text that declares shared variables and
//! locks, and threads (or asyncio tasks) as short programs. It compiles to flat op lists.
//!
//! ```text
//! shared balance = 1000
//! lock account
//!
//! thread withdraw * 4:
//!     local = balance
//!     time.sleep(0.001)
//!     balance = local - 50
//! ```
//!
//! Every read of a shared variable becomes its own atomic step, as CPython's LOAD and
//! STORE bytecodes are: `balance -= 50` is a read step and then a write step.

use crate::units::group;
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_THREADS: usize = 8;
pub const MAX_STEPS_PER_THREAD: usize = 64;
pub const MAX_SHARED: usize = 16;
pub const MAX_LOCKS: usize = 8;
pub const MAX_LOCALS: usize = 32;
pub const MAX_SOURCE_LEN: usize = 8_000;
pub const MAX_LINES: usize = 400;
pub const MAX_CONST: i64 = 1_000_000_000;
pub const MAX_SLEEP_MS: f64 = 10_000.0;
const MAX_LOOP: i64 = 64;
/// Loop counts in a threads-lab workload: `for _ in range(12000): compute(5)` is a minute.
pub const MAX_WORKLOAD_LOOP: i64 = 1_000_000;
/// One timed statement's length, in milliseconds.
pub const MAX_SEGMENT_MS: f64 = 600_000.0;
/// Timed segments per thread of a workload once loops are multiplied out (the simulator's
/// own limit per task).
pub const MAX_WORKLOAD_SEGMENTS: usize = 100_000;
/// Timed segments in the whole workload: `thread t * 1000:` copies its body a thousand
/// times, and a hostile link must not make the page allocate gigabytes.
pub const MAX_WORKLOAD_TOTAL_SEGMENTS: usize = 1_000_000;
/// Threads (or tasks for a pool) in a workload: 1,000 trivial tasks is a preset.
pub const MAX_WORKLOAD_THREADS: usize = 1_000;
const MAX_DEPTH: usize = 8;
/// Total ops per thread before counting visible steps; bounds unrolled loops.
const MAX_OPS_PER_THREAD: usize = 512;
/// Statements (and loop iterations) compiled per thread while unrolling loops. Ops alone
/// cannot bound the work: a loop of `pass` emits none, and nested loops multiply.
pub const MAX_UNROLLED: usize = 4_096;
/// Nodes in one expression's tree. Chains like `1+1+1+…` build one level per operator,
/// and the tree is walked recursively (lowering, evaluation, clone, drop).
pub const MAX_EXPR_NODES: usize = 100;

/// A parse or limit error, located in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

fn err<T>(line: usize, column: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { line, column, message: message.into() })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add, Sub, Mul, FloorDiv, Mod, Eq, Ne, Lt, Le, Gt, Ge, And, Or,
}

/// Expressions over a thread's locals (slots) and constants. Shared reads have already
/// been hoisted into their own steps by the compiler.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    Const(i64),
    Local(usize),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

/// Python-like integer arithmetic; `None` where Python would raise (or the value leaves
/// the range the simulator keeps exact).
pub fn eval(e: &Expr, locals: &[i64]) -> Option<i64> {
    Some(match e {
        Expr::Const(c) => *c,
        Expr::Local(i) => *locals.get(*i)?,
        Expr::Neg(a) => eval(a, locals)?.checked_neg()?,
        Expr::Not(a) => i64::from(eval(a, locals)? == 0),
        Expr::Bin(op, a, b) => {
            let x = eval(a, locals)?;
            // `and`/`or` short-circuit like Python's, on integers.
            match op {
                BinOp::And => return if x == 0 { Some(x) } else { eval(b, locals) },
                BinOp::Or => return if x != 0 { Some(x) } else { eval(b, locals) },
                _ => {}
            }
            let y = eval(b, locals)?;
            match op {
                BinOp::Add => x.checked_add(y)?,
                BinOp::Sub => x.checked_sub(y)?,
                BinOp::Mul => x.checked_mul(y)?,
                BinOp::FloorDiv => {
                    if y == 0 {
                        return None;
                    }
                    floor_div(x, y)?
                }
                BinOp::Mod => {
                    if y == 0 {
                        return None;
                    }
                    let q = floor_div(x, y)?;
                    x.checked_sub(q.checked_mul(y)?)?
                }
                BinOp::Eq => i64::from(x == y),
                BinOp::Ne => i64::from(x != y),
                BinOp::Lt => i64::from(x < y),
                BinOp::Le => i64::from(x <= y),
                BinOp::Gt => i64::from(x > y),
                BinOp::Ge => i64::from(x >= y),
                BinOp::And | BinOp::Or => unreachable_zero(),
            }
        }
    })
}

/// Handled above; kept total so no input can reach a panic.
fn unreachable_zero() -> i64 {
    0
}

/// Python's `//`: rounds toward negative infinity.
fn floor_div(x: i64, y: i64) -> Option<i64> {
    let q = x.checked_div(y)?;
    if (x % y != 0) && ((x < 0) != (y < 0)) {
        q.checked_sub(1)
    } else {
        Some(q)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    /// `local <- shared`: one atomic step.
    Read { local: usize, var: usize },
    /// `shared <- expr(locals)`: one atomic step.
    Write { var: usize, expr: Expr },
    /// Thread-private computation: not an interleaving point.
    Compute { local: usize, expr: Expr },
    /// Jump to `target` when `cond` is false (over locals only).
    Branch { cond: Expr, target: usize },
    Jump { target: usize },
    /// `time.sleep(ms)`: a hint for the timing model, not an interleaving point.
    Sleep { ms: f64 },
    /// `await asyncio.sleep(ms)`: where an asyncio task lets others run.
    Await { ms: f64 },
    Acquire { lock: usize },
    Release { lock: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub kind: OpKind,
    /// 1-based source line.
    pub line: usize,
}

impl OpKind {
    /// Steps that touch shared state: the interleaving points of a threaded program.
    pub fn is_shared(&self) -> bool {
        matches!(self, OpKind::Read { .. } | OpKind::Write { .. } | OpKind::Acquire { .. } | OpKind::Release { .. })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThreadProgram {
    /// Display name: `withdraw-1`, or the declared name when there is one instance.
    pub name: String,
    /// Threads declared together with `* N` share a class: they run the same code and the
    /// exhaustive counter treats them as interchangeable.
    pub class: usize,
    pub ops: Vec<Op>,
    /// Names of local slots (hidden temporaries are named `(balance)`).
    pub locals: Vec<String>,
    /// First and last source line of the body, for the lane view.
    pub lines: (usize, usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub shared: Vec<(String, i64)>,
    pub locks: Vec<String>,
    pub threads: Vec<ThreadProgram>,
    /// asyncio tasks on one event loop rather than threads.
    pub is_async: bool,
}

impl Program {
    pub fn shared_index(&self, name: &str) -> Option<usize> {
        self.shared.iter().position(|(n, _)| n == name)
    }
}

// ---------------------------------------------------------------------------------------
// Lexing

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Int(i64),
    Num(f64),
    Op(&'static str),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    col: usize,
}

const SYMBOLS: [&str; 22] = [
    "//=", "+=", "-=", "*=", "%=", "==", "!=", "<=", ">=", "//", "+", "-", "*", "%", "<", ">", "=", "(", ")", ":", ".", ",",
];

fn lex(line_no: usize, text: &str, start_col: usize) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = start_col + i;
        if c == '#' {
            break;
        }
        if c == ' ' || c == '\t' {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let begin = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            let raw: String = chars[begin..i].iter().filter(|c| **c != '_').collect();
            if raw.contains('.') {
                match raw.parse::<f64>() {
                    Ok(v) if v.is_finite() => out.push(Token { tok: Tok::Num(v), col }),
                    _ => return err(line_no, col, format!("`{raw}` is not a number")),
                }
            } else {
                match raw.parse::<i64>() {
                    Ok(v) if v <= MAX_CONST => out.push(Token { tok: Tok::Int(v), col }),
                    _ => return err(line_no, col, format!("numbers are limited to {MAX_CONST}")),
                }
            }
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let begin = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let name: String = chars[begin..i].iter().collect();
            if name.chars().count() > 32 {
                return err(line_no, col, "names are limited to 32 characters");
            }
            out.push(Token { tok: Tok::Name(name), col });
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            Some(sym) => {
                out.push(Token { tok: Tok::Op(sym), col });
                i += sym.len();
            }
            None => return err(line_no, col, format!("unexpected character `{c}`")),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Parsing into a syntax tree

#[derive(Clone, Debug)]
enum Ast {
    Name(String, usize),
    Int(i64),
    Neg(Box<Ast>),
    Not(Box<Ast>),
    Bin(BinOp, Box<Ast>, Box<Ast>),
}

#[derive(Clone, Debug)]
enum Stmt {
    Assign { target: String, col: usize, value: Ast },
    AugAssign { target: String, col: usize, op: BinOp, value: Ast },
    Sleep(f64),
    Await(f64),
    Acquire(String, usize),
    Release(String, usize),
    With { lock: String, col: usize, body: Vec<(usize, Stmt)> },
    If { cond: Ast, body: Vec<(usize, Stmt)>, orelse: Vec<(usize, Stmt)> },
    For { count: i64, body: Vec<(usize, Stmt)> },
    Segment { kind: SegmentKind, ms: f64 },
    Pass,
}

struct Cursor<'a> {
    toks: &'a [Token],
    pos: usize,
    line: usize,
    end_col: usize,
    /// Expression nodes built on this line so far (see `MAX_EXPR_NODES`).
    nodes: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map(|t| t.col).unwrap_or(self.end_col)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_name(&mut self, name: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == name) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_op(&mut self, op: &str, what: &str) -> Result<(), ParseError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            err(self.line, self.col(), format!("expected `{op}` {what}"))
        }
    }
    fn expect_name(&mut self, what: &str) -> Result<(String, usize), ParseError> {
        let col = self.col();
        match self.next() {
            Some(Tok::Name(n)) => Ok((n, col)),
            _ => err(self.line, col, format!("expected {what}")),
        }
    }
    fn expect_end(&self) -> Result<(), ParseError> {
        if self.pos < self.toks.len() {
            err(self.line, self.col(), "unexpected text at the end of the line")
        } else {
            Ok(())
        }
    }
    /// Counts one expression node against `MAX_EXPR_NODES`.
    fn node(&mut self, ast: Ast) -> Result<Ast, ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_EXPR_NODES {
            return err(self.line, self.col(), format!("this expression is too long: at most {MAX_EXPR_NODES} numbers, names and operators"));
        }
        Ok(ast)
    }
    fn expect_number(&mut self, what: &str) -> Result<f64, ParseError> {
        let col = self.col();
        match self.next() {
            Some(Tok::Int(v)) => Ok(v as f64),
            Some(Tok::Num(v)) => Ok(v),
            _ => err(self.line, col, format!("expected {what}")),
        }
    }

    // Precedence, loosest first: or, and, not, comparison, + -, * // %, unary -.
    fn expr(&mut self, depth: usize) -> Result<Ast, ParseError> {
        if depth > 32 {
            return err(self.line, self.col(), "expression nested too deeply");
        }
        let mut left = self.and_expr(depth + 1)?;
        while self.eat_name("or") {
            let right = self.and_expr(depth + 1)?;
            left = self.node(Ast::Bin(BinOp::Or, Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }
    fn and_expr(&mut self, depth: usize) -> Result<Ast, ParseError> {
        let mut left = self.not_expr(depth + 1)?;
        while self.eat_name("and") {
            let right = self.not_expr(depth + 1)?;
            left = self.node(Ast::Bin(BinOp::And, Box::new(left), Box::new(right)))?;
        }
        Ok(left)
    }
    fn not_expr(&mut self, depth: usize) -> Result<Ast, ParseError> {
        if depth > 40 {
            return err(self.line, self.col(), "expression nested too deeply");
        }
        if self.eat_name("not") {
            let inner = self.not_expr(depth + 1)?;
            return self.node(Ast::Not(Box::new(inner)));
        }
        self.comparison(depth + 1)
    }
    fn comparison(&mut self, depth: usize) -> Result<Ast, ParseError> {
        let left = self.sum(depth + 1)?;
        let op = match self.peek() {
            Some(Tok::Op("==")) => BinOp::Eq,
            Some(Tok::Op("!=")) => BinOp::Ne,
            Some(Tok::Op("<")) => BinOp::Lt,
            Some(Tok::Op("<=")) => BinOp::Le,
            Some(Tok::Op(">")) => BinOp::Gt,
            Some(Tok::Op(">=")) => BinOp::Ge,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.sum(depth + 1)?;
        self.node(Ast::Bin(op, Box::new(left), Box::new(right)))
    }
    fn sum(&mut self, depth: usize) -> Result<Ast, ParseError> {
        let mut left = self.term(depth + 1)?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => BinOp::Add,
                Some(Tok::Op("-")) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.term(depth + 1)?;
            left = self.node(Ast::Bin(op, Box::new(left), Box::new(right)))?;
        }
    }
    fn term(&mut self, depth: usize) -> Result<Ast, ParseError> {
        let mut left = self.unary(depth + 1)?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("*")) => BinOp::Mul,
                Some(Tok::Op("//")) => BinOp::FloorDiv,
                Some(Tok::Op("%")) => BinOp::Mod,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary(depth + 1)?;
            left = self.node(Ast::Bin(op, Box::new(left), Box::new(right)))?;
        }
    }
    fn unary(&mut self, depth: usize) -> Result<Ast, ParseError> {
        if depth > 48 {
            return err(self.line, self.col(), "expression nested too deeply");
        }
        if self.eat_op("-") {
            let inner = self.unary(depth + 1)?;
            return self.node(Ast::Neg(Box::new(inner)));
        }
        if self.eat_op("+") {
            return self.unary(depth + 1);
        }
        self.atom(depth + 1)
    }
    fn atom(&mut self, depth: usize) -> Result<Ast, ParseError> {
        let col = self.col();
        match self.next() {
            Some(Tok::Int(v)) => self.node(Ast::Int(v)),
            Some(Tok::Name(n)) if n == "True" => self.node(Ast::Int(1)),
            Some(Tok::Name(n)) if n == "False" => self.node(Ast::Int(0)),
            Some(Tok::Name(n)) if is_keyword(&n) => err(self.line, col, format!("`{n}` cannot be used in an expression")),
            Some(Tok::Name(n)) => self.node(Ast::Name(n, col)),
            Some(Tok::Op("(")) => {
                let inner = self.expr(depth + 1)?;
                self.expect_op(")", "to close `(`")?;
                Ok(inner)
            }
            Some(Tok::Num(_)) => err(self.line, col, "only whole numbers are allowed here"),
            _ => err(self.line, col, "expected a number, a name or `(`"),
        }
    }
}

fn is_keyword(n: &str) -> bool {
    matches!(
        n,
        "shared" | "lock" | "thread" | "task" | "async" | "await" | "if" | "else" | "for" | "in" | "with" | "sleep" | "pass"
            | "and" | "or" | "not"
    )
}

struct Line {
    no: usize,
    indent: usize,
    toks: Vec<Token>,
    end_col: usize,
}

/// What a block's statements may be: inside an async task or a thread, and whether the
/// text is a race scenario or a threads-lab workload (whose loops may count much higher,
/// since they are multiplied out as timed segments, not unrolled into steps).
#[derive(Clone, Copy)]
struct Ctx {
    is_async: bool,
    workload: bool,
}

impl Ctx {
    fn max_loop(self) -> i64 {
        if self.workload { MAX_WORKLOAD_LOOP } else { MAX_LOOP }
    }
}

fn block(lines: &[Line], i: &mut usize, indent: usize, ctx: Ctx, depth: usize) -> Result<Vec<(usize, Stmt)>, ParseError> {
    let mut out = Vec::new();
    while *i < lines.len() && lines[*i].indent >= indent {
        let line = &lines[*i];
        if line.indent > indent {
            return err(line.no, line.indent + 1, "unexpected indentation");
        }
        *i += 1;
        let mut c = Cursor { toks: &line.toks, pos: 0, line: line.no, end_col: line.end_col, nodes: 0 };
        let stmt = statement(&mut c, lines, i, indent, ctx, depth)?;
        out.push((line.no, stmt));
    }
    Ok(out)
}

fn nested(lines: &[Line], i: &mut usize, parent: usize, header_line: usize, ctx: Ctx, depth: usize) -> Result<Vec<(usize, Stmt)>, ParseError> {
    if depth > MAX_DEPTH {
        return err(header_line, 1, format!("blocks nest more than {MAX_DEPTH} deep"));
    }
    match lines.get(*i) {
        Some(next) if next.indent > parent => block(lines, i, next.indent, ctx, depth + 1),
        // `lines` holds only lines with code, so this is the next one Python would
        // complain about; blank and comment-only lines in between are skipped.
        Some(next) => err(next.no, next.indent + 1, format!("expected an indented block after line {header_line}")),
        None => err(header_line, 1, "expected an indented block after this line"),
    }
}

fn statement(c: &mut Cursor, lines: &[Line], i: &mut usize, indent: usize, ctx: Ctx, depth: usize) -> Result<Stmt, ParseError> {
    let is_async = ctx.is_async;
    let line_no = c.line;
    let col = c.col();
    let first = match c.peek() {
        Some(Tok::Name(n)) => n.clone(),
        _ => return err(line_no, col, "expected a statement"),
    };
    match first.as_str() {
        "pass" => {
            c.pos += 1;
            c.expect_end()?;
            Ok(Stmt::Pass)
        }
        "sleep" | "time" => {
            c.pos += 1;
            if first == "time" {
                c.expect_op(".", "after `time`")?;
                if !c.eat_name("sleep") {
                    return err(line_no, c.col(), "expected `sleep`");
                }
            }
            if is_async {
                return err(line_no, col, "a blocking sleep inside a task freezes the event loop; write `await asyncio.sleep(ms)`");
            }
            let ms = sleep_args(c)?;
            Ok(Stmt::Sleep(ms))
        }
        "await" => {
            c.pos += 1;
            if !is_async {
                return err(line_no, col, "`await` is only allowed in an `async task`");
            }
            if c.eat_name("asyncio") {
                c.expect_op(".", "after `asyncio`")?;
            }
            if !c.eat_name("sleep") {
                return err(line_no, c.col(), "expected `sleep(ms)` after `await`");
            }
            let ms = sleep_args(c)?;
            Ok(Stmt::Await(ms))
        }
        "with" | "async" => {
            c.pos += 1;
            if first == "async" && !c.eat_name("with") {
                return err(line_no, c.col(), "expected `with` after `async`");
            }
            let (lock, lcol) = c.expect_name("a lock name after `with`")?;
            c.expect_op(":", "after the lock name")?;
            c.expect_end()?;
            let body = nested(lines, i, indent, line_no, ctx, depth)?;
            Ok(Stmt::With { lock, col: lcol, body })
        }
        "if" => {
            c.pos += 1;
            let cond = c.expr(0)?;
            c.expect_op(":", "after the condition")?;
            c.expect_end()?;
            let body = nested(lines, i, indent, line_no, ctx, depth)?;
            let mut orelse = Vec::new();
            if let Some(next) = lines.get(*i) {
                if next.indent == indent && matches!(next.toks.first().map(|t| &t.tok), Some(Tok::Name(n)) if n == "else") {
                    let mut ec = Cursor { toks: &next.toks, pos: 1, line: next.no, end_col: next.end_col, nodes: 0 };
                    ec.expect_op(":", "after `else`")?;
                    ec.expect_end()?;
                    let else_line = next.no;
                    *i += 1;
                    orelse = nested(lines, i, indent, else_line, ctx, depth)?;
                }
            }
            Ok(Stmt::If { cond, body, orelse })
        }
        "else" => err(line_no, col, "`else` without a matching `if`"),
        name if SegmentKind::from_name(name).is_some() && matches!(c.toks.get(c.pos + 1).map(|t| &t.tok), Some(Tok::Op("("))) => {
            let kind = SegmentKind::from_name(name).unwrap_or(SegmentKind::Compute);
            c.pos += 1;
            if is_async {
                return err(line_no, col, format!("`{name}(ms)` is thread work; in an async task write `await asyncio.sleep(seconds)`"));
            }
            c.expect_op("(", "after the name")?;
            let mcol = c.col();
            let ms = c.expect_number("a time in milliseconds, like 5 or 0.17")?;
            c.expect_op(")", "after the time")?;
            c.expect_end()?;
            if !(0.0..=MAX_SEGMENT_MS).contains(&ms) {
                return err(line_no, mcol, format!("times are from 0 to {} ms", group(MAX_SEGMENT_MS as u64)));
            }
            Ok(Stmt::Segment { kind, ms })
        }
        "for" => {
            c.pos += 1;
            let _ = c.expect_name("a loop variable")?;
            if !c.eat_name("in") {
                return err(line_no, c.col(), "expected `in range(N)`");
            }
            if !c.eat_name("range") {
                return err(line_no, c.col(), "expected `range(N)`: only counted loops are allowed");
            }
            c.expect_op("(", "after `range`")?;
            let ncol = c.col();
            let count = match c.next() {
                Some(Tok::Int(n)) if (0..=ctx.max_loop()).contains(&n) => n,
                _ => return err(line_no, ncol, format!("expected a whole number from 0 to {}", group(ctx.max_loop() as u64))),
            };
            c.expect_op(")", "after the count")?;
            c.expect_op(":", "after `range(N)`")?;
            c.expect_end()?;
            let body = nested(lines, i, indent, line_no, ctx, depth)?;
            Ok(Stmt::For { count, body })
        }
        _ => {
            let (name, ncol) = c.expect_name("a statement")?;
            if is_keyword(&name) {
                return err(line_no, ncol, format!("`{name}` is not allowed here"));
            }
            if c.eat_op(".") {
                let mcol = c.col();
                let (method, _) = c.expect_name("`acquire()` or `release()`")?;
                c.expect_op("(", "after the method name")?;
                c.expect_op(")", "(these methods take no arguments)")?;
                c.expect_end()?;
                return match method.as_str() {
                    "acquire" => Ok(Stmt::Acquire(name, ncol)),
                    "release" => Ok(Stmt::Release(name, ncol)),
                    _ => err(line_no, mcol, "expected `acquire()` or `release()`"),
                };
            }
            let aug = match c.peek() {
                Some(Tok::Op("+=")) => Some(BinOp::Add),
                Some(Tok::Op("-=")) => Some(BinOp::Sub),
                Some(Tok::Op("*=")) => Some(BinOp::Mul),
                Some(Tok::Op("//=")) => Some(BinOp::FloorDiv),
                Some(Tok::Op("%=")) => Some(BinOp::Mod),
                Some(Tok::Op("=")) => None,
                _ => return err(line_no, c.col(), "expected `=`, `+=`, `-=` or a method call"),
            };
            c.pos += 1;
            let value = c.expr(0)?;
            c.expect_end()?;
            Ok(match aug {
                Some(op) => Stmt::AugAssign { target: name, col: ncol, op, value },
                None => Stmt::Assign { target: name, col: ncol, value },
            })
        }
    }
}

/// `sleep(seconds)`, as in Python; returns milliseconds.
fn sleep_args(c: &mut Cursor) -> Result<f64, ParseError> {
    c.expect_op("(", "after `sleep`")?;
    let col = c.col();
    let seconds = c.expect_number("a time in seconds, like 0.001")?;
    c.expect_op(")", "after the time")?;
    c.expect_end()?;
    let ms = seconds * 1000.0;
    if !(0.0..=MAX_SLEEP_MS).contains(&ms) {
        return err(c.line, col, format!("sleep times are from 0 to {} seconds", MAX_SLEEP_MS / 1000.0));
    }
    Ok(ms)
}

// ---------------------------------------------------------------------------------------
// Compiling statements into ops

struct Compiler<'p> {
    shared: &'p [(String, i64)],
    locks: &'p [String],
    locals: Vec<String>,
    ops: Vec<Op>,
    /// Locks taken by enclosing `with` blocks, innermost last.
    held: Vec<usize>,
    /// Statements and loop iterations compiled so far (see `MAX_UNROLLED`).
    work: usize,
    /// Line of the outermost `for` being unrolled, to name in a budget error.
    outer_loop: Option<usize>,
}

impl Compiler<'_> {
    fn emit(&mut self, kind: OpKind, line: usize) -> Result<usize, ParseError> {
        if self.ops.len() >= MAX_OPS_PER_THREAD {
            return err(line, 1, format!("a thread may have at most {MAX_OPS_PER_THREAD} operations once loops are unrolled"));
        }
        self.ops.push(Op { kind, line });
        Ok(self.ops.len() - 1)
    }

    fn local_slot(&mut self, name: &str, line: usize, col: usize) -> Result<usize, ParseError> {
        if let Some(i) = self.locals.iter().position(|n| n == name) {
            return Ok(i);
        }
        if self.locals.len() >= MAX_LOCALS {
            return err(line, col, format!("a thread may use at most {MAX_LOCALS} local variables"));
        }
        self.locals.push(name.to_string());
        Ok(self.locals.len() - 1)
    }

    /// Turns an expression into one over locals, emitting a Read step for each shared
    /// variable it mentions (left to right, as CPython evaluates).
    fn lower(&mut self, ast: &Ast, line: usize) -> Result<Expr, ParseError> {
        Ok(match ast {
            Ast::Int(v) => Expr::Const(*v),
            Ast::Name(n, col) => {
                if let Some(var) = self.shared.iter().position(|(s, _)| s == n) {
                    let slot = self.local_slot(&format!("({n})"), line, *col)?;
                    self.emit(OpKind::Read { local: slot, var }, line)?;
                    Expr::Local(slot)
                } else if self.locks.iter().any(|l| l == n) {
                    return err(line, *col, format!("`{n}` is a lock, not a number"));
                } else if let Some(i) = self.locals.iter().position(|l| l == n) {
                    Expr::Local(i)
                } else {
                    return err(line, *col, format!("name `{n}` is not defined: assign it first or declare it with `shared`"));
                }
            }
            Ast::Neg(a) => Expr::Neg(Box::new(self.lower(a, line)?)),
            Ast::Not(a) => Expr::Not(Box::new(self.lower(a, line)?)),
            Ast::Bin(op, a, b) => {
                let a = self.lower(a, line)?;
                let b = self.lower(b, line)?;
                Expr::Bin(*op, Box::new(a), Box::new(b))
            }
        })
    }

    fn lock_index(&self, name: &str, line: usize, col: usize) -> Result<usize, ParseError> {
        self.locks
            .iter()
            .position(|l| l == name)
            .map_or_else(|| err(line, col, format!("`{name}` is not a declared lock (write `lock {name}` at the top)")), Ok)
    }

    fn stmts(&mut self, body: &[(usize, Stmt)]) -> Result<(), ParseError> {
        for (line, stmt) in body {
            self.tick(*line)?;
            self.stmt(*line, stmt)?;
        }
        Ok(())
    }

    /// Counts one unit of compile work, so unrolling stays bounded even when nothing is
    /// emitted (`for _ in range(64): pass`, nested eight deep, is 2.8 x 10^14 iterations).
    fn tick(&mut self, line: usize) -> Result<(), ParseError> {
        self.work += 1;
        if self.work > MAX_UNROLLED {
            return match self.outer_loop {
                Some(l) => err(l, 1, format!("this loop unrolls to more than {MAX_UNROLLED} statements; use fewer or shorter loops")),
                None => err(line, 1, format!("this thread has more than {MAX_UNROLLED} statements")),
            };
        }
        Ok(())
    }

    fn stmt(&mut self, line: usize, stmt: &Stmt) -> Result<(), ParseError> {
        match stmt {
            Stmt::Pass => {}
            // Timed work touches no shared state, so it is no interleaving point; blocking
            // I/O gives way like time.sleep, which the timing model understands.
            Stmt::Segment { kind: SegmentKind::Io, ms } => {
                self.emit(OpKind::Sleep { ms: *ms }, line)?;
            }
            Stmt::Segment { .. } => {}
            Stmt::Sleep(ms) => {
                self.emit(OpKind::Sleep { ms: *ms }, line)?;
            }
            Stmt::Await(ms) => {
                self.emit(OpKind::Await { ms: *ms }, line)?;
            }
            Stmt::Acquire(name, col) => {
                let lock = self.lock_index(name, line, *col)?;
                self.emit(OpKind::Acquire { lock }, line)?;
            }
            Stmt::Release(name, col) => {
                let lock = self.lock_index(name, line, *col)?;
                self.emit(OpKind::Release { lock }, line)?;
            }
            Stmt::With { lock, col, body } => {
                let lock = self.lock_index(lock, line, *col)?;
                self.emit(OpKind::Acquire { lock }, line)?;
                self.held.push(lock);
                self.stmts(body)?;
                self.held.pop();
                self.emit(OpKind::Release { lock }, line)?;
            }
            Stmt::Assign { target, col, value } => self.assign(line, target, *col, value)?,
            Stmt::AugAssign { target, col, op, value } => {
                let combined = Ast::Bin(*op, Box::new(Ast::Name(target.clone(), *col)), Box::new(value.clone()));
                if !self.shared.iter().any(|(s, _)| s == target) && !self.locals.contains(target) {
                    return err(line, *col, format!("name `{target}` is not defined"));
                }
                self.assign(line, target, *col, &combined)?;
            }
            Stmt::If { cond, body, orelse } => {
                let cond = self.lower(cond, line)?;
                let branch = self.emit(OpKind::Branch { cond, target: 0 }, line)?;
                self.stmts(body)?;
                if orelse.is_empty() {
                    let end = self.ops.len();
                    self.patch(branch, end);
                } else {
                    let jump = self.emit(OpKind::Jump { target: 0 }, line)?;
                    let else_start = self.ops.len();
                    self.patch(branch, else_start);
                    self.stmts(orelse)?;
                    let end = self.ops.len();
                    self.patch(jump, end);
                }
            }
            Stmt::For { count, body } => {
                let outermost = self.outer_loop.is_none();
                if outermost {
                    self.outer_loop = Some(line);
                }
                for _ in 0..*count {
                    self.tick(line)?;
                    self.stmts(body)?;
                }
                if outermost {
                    self.outer_loop = None;
                }
            }
        }
        Ok(())
    }

    fn patch(&mut self, at: usize, to: usize) {
        if let Some(op) = self.ops.get_mut(at) {
            match &mut op.kind {
                OpKind::Branch { target, .. } | OpKind::Jump { target } => *target = to,
                _ => {}
            }
        }
    }

    fn assign(&mut self, line: usize, target: &str, col: usize, value: &Ast) -> Result<(), ParseError> {
        if self.locks.iter().any(|l| l == target) {
            return err(line, col, format!("`{target}` is a lock; use `{target}.acquire()` or `with {target}:`"));
        }
        if let Some(var) = self.shared.iter().position(|(s, _)| s == target) {
            // `local = shared` reads straight into the local; otherwise reads are hoisted.
            let expr = self.lower(value, line)?;
            self.emit(OpKind::Write { var, expr }, line)?;
        } else {
            // A plain `x = shared` reads into x itself, so the lane shows `x` holding it.
            if let Ast::Name(n, _) = value {
                if let Some(var) = self.shared.iter().position(|(s, _)| s == n) {
                    let slot = self.local_slot(target, line, col)?;
                    self.emit(OpKind::Read { local: slot, var }, line)?;
                    return Ok(());
                }
            }
            let expr = self.lower(value, line)?;
            let slot = self.local_slot(target, line, col)?;
            self.emit(OpKind::Compute { local: slot, expr }, line)?;
        }
        Ok(())
    }
}

/// Parses and compiles a scenario. Never panics, whatever the input.
pub fn parse(source: &str) -> Result<Program, ParseError> {
    let Front { shared, locks, headers } = front(source, false)?;
    let mut threads = Vec::new();
    for (class, (name, count, _, header_line, body, lines_span)) in headers.iter().enumerate() {
        let mut comp =
            Compiler { shared: &shared, locks: &locks, locals: Vec::new(), ops: Vec::new(), held: Vec::new(), work: 0, outer_loop: None };
        comp.stmts(body)?;
        let visible = comp.ops.iter().filter(|o| o.kind.is_shared() || matches!(o.kind, OpKind::Await { .. })).count();
        if visible > MAX_STEPS_PER_THREAD {
            return err(*header_line, 1, format!("`{name}` takes {visible} steps; the limit is {MAX_STEPS_PER_THREAD} per thread"));
        }
        for k in 0..*count {
            let display = if *count == 1 { name.clone() } else { format!("{name}-{}", k + 1) };
            threads.push(ThreadProgram {
                name: display,
                class,
                ops: comp.ops.clone(),
                locals: comp.locals.clone(),
                lines: *lines_span,
            });
        }
    }
    let is_async = headers.first().is_some_and(|h| h.2);
    Ok(Program { shared, locks, threads, is_async })
}

/// What the header pass finds: declarations, and each thread block's statements.
struct Front {
    shared: Vec<(String, i64)>,
    locks: Vec<String>,
    headers: Vec<Header>,
}

/// Lexes `source` and parses its declarations and thread blocks, in either dialect.
fn front(source: &str, workload: bool) -> Result<Front, ParseError> {
    let max_threads = if workload { MAX_WORKLOAD_THREADS } else { MAX_THREADS };
    // The limit is in characters, as the message says (a byte count would reject
    // 8,000 characters of non-ASCII text early).
    let chars = source.chars().count();
    if chars > MAX_SOURCE_LEN {
        return err(1, 1, format!("the scenario is {chars} characters long; the limit is {MAX_SOURCE_LEN}"));
    }
    let mut lines = Vec::new();
    for (idx, raw) in source.lines().enumerate() {
        let no = idx + 1;
        if no > MAX_LINES {
            return err(no, 1, format!("a scenario may have at most {MAX_LINES} lines"));
        }
        let indent_chars: Vec<char> = raw.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        if indent_chars.contains(&'\t') {
            return err(no, 1, "indent with spaces, not tabs");
        }
        let indent = indent_chars.len();
        let rest: String = raw.chars().skip(indent).collect();
        let toks = lex(no, &rest, indent + 1)?;
        if toks.is_empty() {
            continue;
        }
        lines.push(Line { no, indent, toks, end_col: raw.chars().count() + 1 });
    }

    let mut shared: Vec<(String, i64)> = Vec::new();
    let mut locks: Vec<String> = Vec::new();
    // (name, count, is_async, header line, body lines)
    let mut headers: Vec<(String, usize, bool, usize, Vec<(usize, Stmt)>, (usize, usize))> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.indent != 0 {
            return err(line.no, 1, "unexpected indentation: statements belong inside a `thread` block");
        }
        let mut c = Cursor { toks: &line.toks, pos: 0, line: line.no, end_col: line.end_col, nodes: 0 };
        let col = c.col();
        let (word, _) = c.expect_name("`shared`, `lock`, `thread` or `async task`")?;
        i += 1;
        match word.as_str() {
            "shared" => loop {
                let (name, ncol) = c.expect_name("a variable name after `shared`")?;
                check_new_name(&name, line.no, ncol, &shared, &locks, &headers)?;
                c.expect_op("=", "and an initial value")?;
                let neg = c.eat_op("-");
                let vcol = c.col();
                let value = match c.next() {
                    Some(Tok::Int(v)) => if neg { -v } else { v },
                    _ => return err(line.no, vcol, "expected a whole number"),
                };
                if shared.len() >= MAX_SHARED {
                    return err(line.no, ncol, format!("at most {MAX_SHARED} shared variables"));
                }
                shared.push((name, value));
                if !c.eat_op(",") {
                    c.expect_end()?;
                    break;
                }
            },
            "lock" => {
                let (name, ncol) = c.expect_name("a lock name after `lock`")?;
                check_new_name(&name, line.no, ncol, &shared, &locks, &headers)?;
                c.expect_end()?;
                if locks.len() >= MAX_LOCKS {
                    return err(line.no, ncol, format!("at most {MAX_LOCKS} locks"));
                }
                locks.push(name);
            }
            "thread" | "async" => {
                let is_async = word == "async";
                if is_async && !c.eat_name("task") {
                    return err(line.no, c.col(), "expected `task` after `async`");
                }
                let (name, ncol) = c.expect_name("a name for the thread")?;
                check_new_name(&name, line.no, ncol, &shared, &locks, &headers)?;
                let mut count = 1usize;
                if c.eat_op("*") {
                    let kcol = c.col();
                    count = match c.next() {
                        Some(Tok::Int(n)) if (1..=max_threads as i64).contains(&n) => n as usize,
                        _ => return err(line.no, kcol, format!("expected a count from 1 to {max_threads}")),
                    };
                }
                c.expect_op(":", "at the end of the header")?;
                c.expect_end()?;
                let header_no = line.no;
                let body = nested(&lines, &mut i, 0, header_no, Ctx { is_async, workload }, 0)?;
                let last = lines.get(i.saturating_sub(1)).map(|l| l.no).unwrap_or(header_no);
                headers.push((name, count, is_async, header_no, body, (header_no, last)));
            }
            "task" => return err(line.no, col, "write `async task NAME:` for an asyncio task"),
            other => return err(line.no, col, format!("expected `shared`, `lock`, `thread` or `async task`, not `{other}`")),
        }
    }

    if headers.is_empty() {
        return err(lines.last().map(|l| l.no + 1).unwrap_or(1), 1, "no threads: add a `thread NAME:` block");
    }
    let is_async = headers[0].2;
    if let Some(h) = headers.iter().find(|h| h.2 != is_async) {
        return err(h.3, 1, "mix of threads and async tasks: a scenario uses one or the other");
    }
    let total: usize = headers.iter().map(|h| h.1).sum();
    if total > max_threads {
        return err(headers.last().map(|h| h.3).unwrap_or(1), 1, format!("{total} threads; the limit is {max_threads}"));
    }
    Ok(Front { shared, locks, headers })
}

/// Timed work in a thread, for the threads lab's simulator. In the race lab these
/// statements only mark time: `io` gives way like `time.sleep`, the others are no step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// `compute(ms)`: Python bytecode, holding the GIL, with check points.
    Compute,
    /// `io(ms)` (and `time.sleep`): blocking I/O; the GIL is released.
    Io,
    /// `native(ms)`: one C call that holds the GIL throughout.
    Native,
    /// `release(ms)`: C code that releases the GIL while it runs (hashlib, zlib, numpy).
    Release,
}

impl SegmentKind {
    pub const ALL: [(&'static str, SegmentKind); 4] =
        [("compute", SegmentKind::Compute), ("io", SegmentKind::Io), ("native", SegmentKind::Native), ("release", SegmentKind::Release)];

    fn from_name(name: &str) -> Option<SegmentKind> {
        SegmentKind::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }
}

/// One thread of a threads-lab workload: its timed segments in order, in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkThread {
    pub name: String,
    pub segments: Vec<(SegmentKind, f64)>,
}

/// Parses a threads-lab workload: `thread NAME * N:` blocks of `compute(ms)`, `io(ms)`,
/// `native(ms)`, `release(ms)`, `time.sleep(seconds)`, `pass` and `for _ in range(N):`
/// loops (multiplied out, not unrolled into steps). Shared variables and locks belong to
/// the race lab and are refused with a message that says so.
pub fn parse_workload(source: &str) -> Result<Vec<WorkThread>, ParseError> {
    let Front { shared, locks, headers } = front(source, true)?;
    if !shared.is_empty() || !locks.is_empty() {
        let line = source.lines().position(|l| {
            let l = l.trim_start();
            l.starts_with("shared") || l.starts_with("lock")
        });
        return err(line.map_or(1, |l| l + 1), 1, "the threads lab times work: shared variables and locks belong in the race lab");
    }
    if let Some(h) = headers.iter().find(|h| h.2) {
        return err(h.3, 1, "the threads lab runs threads: write `thread NAME:` (the race lab has async tasks)");
    }
    let mut out = Vec::new();
    let mut total = 0usize;
    for (name, count, _, header_line, body, _) in &headers {
        let mut segments = Vec::new();
        lower_segments(body, 1, &mut segments, *header_line)?;
        total = total.saturating_add(segments.len().saturating_mul(*count));
        if total > MAX_WORKLOAD_TOTAL_SEGMENTS {
            return err(*header_line, 1, format!("the workload does more than {} timed steps in all; use fewer threads or shorter loops", group(MAX_WORKLOAD_TOTAL_SEGMENTS as u64)));
        }
        for k in 0..*count {
            let display = if *count == 1 { name.clone() } else { format!("{name}-{}", k + 1) };
            out.push(WorkThread { name: display, segments: segments.clone() });
        }
    }
    Ok(out)
}

/// Appends `body`'s segments `times` times, merging back-to-back `compute` (its check
/// points are periodic, so two stretches of bytecode are one). I/O and C calls stay
/// apart: between two of them the thread must take the GIL again.
fn lower_segments(body: &[(usize, Stmt)], times: i64, out: &mut Vec<(SegmentKind, f64)>, header_line: usize) -> Result<(), ParseError> {
    let mut once = Vec::new();
    for (line, stmt) in body {
        let piece = match stmt {
            Stmt::Pass => continue,
            Stmt::Segment { kind, ms } => (*kind, *ms),
            Stmt::Sleep(ms) => (SegmentKind::Io, *ms),
            Stmt::For { count, body } => {
                lower_segments(body, *count, &mut once, header_line)?;
                continue;
            }
            _ => {
                return err(*line, 1, "the threads lab times work: use compute(ms), io(ms), native(ms), release(ms), time.sleep(seconds) and for loops")
            }
        };
        push_segment(&mut once, piece, header_line)?;
    }
    for _ in 0..times.max(0) {
        for &piece in &once {
            push_segment(out, piece, header_line)?;
        }
        if once.is_empty() {
            break;
        }
    }
    Ok(())
}

fn push_segment(out: &mut Vec<(SegmentKind, f64)>, piece: (SegmentKind, f64), header_line: usize) -> Result<(), ParseError> {
    if let (Some(last), SegmentKind::Compute) = (out.last_mut(), piece.0) {
        if last.0 == SegmentKind::Compute {
            last.1 += piece.1;
            return Ok(());
        }
    }
    if out.len() >= MAX_WORKLOAD_SEGMENTS {
        return err(header_line, 1, format!("this thread does more than {} timed steps; use fewer or shorter loops", group(MAX_WORKLOAD_SEGMENTS as u64)));
    }
    out.push(piece);
    Ok(())
}

type Header = (String, usize, bool, usize, Vec<(usize, Stmt)>, (usize, usize));

fn check_new_name(name: &str, line: usize, col: usize, shared: &[(String, i64)], locks: &[String], headers: &[Header]) -> Result<(), ParseError> {
    if is_keyword(name) {
        return err(line, col, format!("`{name}` is a keyword"));
    }
    if shared.iter().any(|(n, _)| n == name) || locks.iter().any(|n| n == name) || headers.iter().any(|h| h.0 == name) {
        return err(line, col, format!("`{name}` is declared twice"));
    }
    Ok(())
}

/// Source lines by number, for views.
pub fn source_lines(source: &str) -> BTreeMap<usize, String> {
    source.lines().enumerate().map(|(i, l)| (i + 1, l.to_string())).collect()
}

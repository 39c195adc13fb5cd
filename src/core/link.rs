//! Share-link codec helpers shared by every lab.
//!
//! A lab's configuration is a flat query string (`?k=2&iters=1000&run=1`). Decoding never
//! fails as a whole: each bad parameter is reported and falls back to its default, so a
//! half-broken link still opens the experiment it mostly describes.

use std::collections::BTreeMap;
use std::fmt;

/// Links longer than this are refused outright: no legitimate experiment needs more, and
/// it bounds the work a hostile link can cause.
pub const MAX_QUERY_LEN: usize = 64 * 1024;
/// Values are quoted back to the user in messages; long ones are cut to this many chars.
const QUOTE_LEN: usize = 40;

/// One problem with one parameter of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    /// The parameter's name as it appeared in the link (may be empty or odd).
    pub key: String,
    pub message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", quote(&self.key), self.message)
    }
}

/// Shortens and sanitises a user-supplied string for display in a message.
pub fn quote(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if cleaned.chars().count() > QUOTE_LEN {
        let head: String = cleaned.chars().take(QUOTE_LEN).collect();
        format!("{head}…")
    } else {
        cleaned
    }
}

/// The parameters of a link, consumed one by one by a lab's decoder. Whatever is left
/// when the decoder finishes is reported as unknown.
#[derive(Debug, Default)]
pub struct Query {
    params: BTreeMap<String, String>,
    pub errors: Vec<LinkError>,
}

impl Query {
    /// Parses a query string, with or without its leading `?`.
    pub fn parse(raw: &str) -> Query {
        let mut query = Query::default();
        if raw.len() > MAX_QUERY_LEN {
            query.errors.push(LinkError {
                key: "(link)".into(),
                message: format!(
                    "the link is {} characters long, more than the {} allowed; it was ignored",
                    raw.len(),
                    MAX_QUERY_LEN
                ),
            });
            return query;
        }
        let raw = raw.strip_prefix('?').unwrap_or(raw);
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            if key.is_empty() && value.is_empty() {
                continue;
            }
            if query.params.contains_key(key.as_ref()) {
                query.errors.push(LinkError {
                    key: key.to_string(),
                    message: "appears more than once; the first value was kept".into(),
                });
                continue;
            }
            query.params.insert(key.into_owned(), value.into_owned());
        }
        query
    }

    /// Removes and returns a raw parameter.
    pub fn take(&mut self, key: &str) -> Option<String> {
        self.params.remove(key)
    }

    /// Records an error for `key`.
    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(LinkError { key: key.into(), message: message.into() });
    }

    /// An unsigned integer in `min..=max`, or `default` with an error.
    pub fn uint(&mut self, key: &str, min: u64, max: u64, default: u64) -> u64 {
        let Some(raw) = self.take(key) else { return default };
        self.check_uint(key, &raw, min, max, &group(default)).unwrap_or(default)
    }

    /// Checks a raw value already taken from the query; on failure records an error that
    /// says the parameter falls back to `default_desc`.
    pub fn check_uint(&mut self, key: &str, raw: &str, min: u64, max: u64, default_desc: &str) -> Option<u64> {
        match parse_uint(raw) {
            Some(v) if (min..=max).contains(&v) => Some(v),
            _ if is_integer_like(raw) => {
                self.error(
                    key,
                    format!(
                        "{} is out of range: it must be a whole number from {} to {}; using {}",
                        quote(raw),
                        group(min),
                        group(max),
                        default_desc
                    ),
                );
                None
            }
            _ => {
                self.error(key, format!("{} is not a whole number; using {}", quote(raw), default_desc));
                None
            }
        }
    }

    /// A boolean flag written as `1`/`0` (also `true`/`false`).
    pub fn flag(&mut self, key: &str) -> bool {
        match self.take(key).as_deref() {
            None => false,
            Some("1" | "true" | "") => true,
            Some("0" | "false") => false,
            Some(other) => {
                self.error(key, format!("{} is not 1 or 0; ignored", quote(other)));
                false
            }
        }
    }

    /// One of a fixed set of names.
    pub fn choice<T: Copy + PartialEq>(&mut self, key: &str, options: &[(&str, T)], default: T) -> T {
        let Some(raw) = self.take(key) else { return default };
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == raw) {
            return *v;
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let default_name = options.iter().find(|(_, v)| *v == default).map_or("the default", |(n, _)| *n);
        self.error(key, format!("{} is not one of {}; using {default_name}", quote(&raw), names.join(", ")));
        default
    }

    /// Reports every parameter no decoder asked for, and returns all errors.
    pub fn finish(mut self) -> Vec<LinkError> {
        let leftovers: Vec<String> = self.params.keys().cloned().collect();
        for key in leftovers {
            self.error(&key, "is not a parameter of this lab; ignored");
        }
        self.errors
    }
}

/// Parses a plain decimal unsigned integer; allows `_` and `,`-free digits only, so that
/// `1e9` and `0x10` are rejected rather than guessed at.
pub fn parse_uint(raw: &str) -> Option<u64> {
    let s = raw.trim().replace('_', "");
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// An optional minus sign and digits: a number, even if too big for any integer type.
fn is_integer_like(raw: &str) -> bool {
    let s = raw.trim().replace('_', "");
    let digits = s.strip_prefix('-').unwrap_or(&s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

// The kernels crate owns it, as they use it too.
pub use concurrency_kernels::units::group;

/// Builds a query string from pairs, percent-encoding as needed. Commas are legal in a
/// query and common in our lists, so they stay readable instead of becoming `%2C`.
pub fn encode(pairs: &[(&str, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish().replace("%2C", ",")
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uint_in_range_and_out() {
        let mut q = Query::parse("?a=5&b=999&c=x&d=-3&e=1e3");
        assert_eq!(q.uint("a", 1, 10, 2), 5);
        assert_eq!(q.uint("b", 1, 10, 2), 2);
        assert_eq!(q.uint("c", 1, 10, 2), 2);
        assert_eq!(q.uint("d", 1, 10, 2), 2);
        assert_eq!(q.uint("e", 1, 10, 2), 2);
        assert_eq!(q.uint("missing", 1, 10, 7), 7);
        let errors = q.finish();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["b", "c", "d", "e"]);
        assert!(errors[0].message.contains("out of range"), "{}", errors[0].message);
        assert!(errors[1].message.contains("not a whole number"));
        assert!(errors[2].message.contains("out of range"));
        assert!(errors[3].message.contains("not a whole number"));
    }

    #[test]
    fn huge_number_is_out_of_range_not_a_crash() {
        let mut q = Query::parse("k=99999999999999999999999999");
        assert_eq!(q.uint("k", 1, 64, 2), 2);
        assert_eq!(q.finish().len(), 1);
    }

    #[test]
    fn a_bad_choice_names_the_value_used_instead() {
        let mut q = Query::parse("mode=turbo");
        let options = [("main", 0), ("parallel", 2)];
        assert_eq!(q.choice("mode", &options, 2), 2);
        assert_eq!(q.errors[0].message, "turbo is not one of main, parallel; using parallel");
    }

    #[test]
    fn unknown_and_duplicate_keys_are_reported() {
        let mut q = Query::parse("run=1&run=0&bogus=%3Cscript%3E");
        assert!(q.flag("run"));
        let errors = q.finish();
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().any(|e| e.key == "run" && e.message.contains("more than once")));
        assert!(errors.iter().any(|e| e.key == "bogus"));
    }

    #[test]
    fn overlong_link_is_refused_whole() {
        let raw = format!("a={}", "x".repeat(MAX_QUERY_LEN));
        let q = Query::parse(&raw);
        assert_eq!(q.errors.len(), 1);
        assert_eq!(q.finish().len(), 1);
    }

    #[test]
    fn quote_cuts_and_cleans() {
        assert_eq!(quote("a\nb"), "a\u{fffd}b");
        assert_eq!(quote(&"y".repeat(100)).chars().count(), QUOTE_LEN + 1);
    }

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_000_000_000), "1,000,000,000");
    }

    #[test]
    fn encode_round_trips_through_parse() {
        let s = encode(&[("t", "a b&c=d,e".into()), ("n", "5".into())]);
        assert_eq!(s, "t=a+b%26c%3Dd,e&n=5");
        let mut q = Query::parse(&s);
        assert_eq!(q.take("t").as_deref(), Some("a b&c=d,e"));
        assert_eq!(q.uint("n", 0, 9, 0), 5);
    }

    proptest! {
        #[test]
        fn parse_never_panics(raw in ".{0,300}") {
            let mut q = Query::parse(&raw);
            let _ = q.uint("k", 0, 100, 1);
            let _ = q.flag("run");
            let _ = q.choice("mode", &[("a", 1), ("b", 2)], 1);
            let _ = q.finish();
        }
    }
}

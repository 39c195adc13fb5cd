//! Embed form: `embed=1` on any lab's link shows the experiment without the site's header
//! and navigation, for an `<iframe>` in a course page. The flag belongs to the shell, not
//! to a lab: it is split off before a lab decodes its link and put back when the page
//! rewrites the address bar.

/// The frame size the compact layout is made for, and the snippet asks for.
pub const WIDTH: u32 = 700;
pub const HEIGHT: u32 = 500;

/// `(embedded, the query without the flag)`. Other parameters are kept byte for byte.
pub fn split(query: &str) -> (bool, String) {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut embedded = false;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            if key == "embed" {
                embedded = matches!(value, "1" | "true" | "");
                false
            } else {
                !part.is_empty()
            }
        })
        .collect();
    (embedded, kept.join("&"))
}

/// `query` with the flag added when `embedded`.
pub fn join(query: &str, embedded: bool) -> String {
    match (embedded, query.is_empty()) {
        (false, _) => query.to_string(),
        (true, true) => "embed=1".to_string(),
        (true, false) => format!("{query}&embed=1"),
    }
}

fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The `<iframe>` snippet for `link` (an absolute link to the experiment, without the
/// flag). `allow="cross-origin-isolated"` lets the frame have threads when the page around
/// it is isolated too.
pub fn iframe(link: &str, title: &str) -> String {
    let (base, rest) = link.split_once('?').unwrap_or((link, ""));
    let src = format!("{base}?{}", join(&split(rest).1, true));
    format!(
        "<iframe src=\"{}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" style=\"border: 0; max-width: 100%;\" \
         title=\"{}\" loading=\"lazy\" allow=\"cross-origin-isolated; clipboard-write\"></iframe>",
        attribute(&src),
        attribute(title)
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_flag_comes_off_and_goes_back_on() {
        assert_eq!(split("?tasks=2-38,5-50&embed=1&run=1"), (true, "tasks=2-38,5-50&run=1".to_string()));
        assert_eq!(split("embed=0&k=2"), (false, "k=2".to_string()));
        assert_eq!(split("k=2"), (false, "k=2".to_string()));
        assert_eq!(split(""), (false, String::new()));
        assert_eq!(split("code=a%3Db&embed"), (true, "code=a%3Db".to_string()));
        assert_eq!(join("k=2", true), "k=2&embed=1");
        assert_eq!(join("", true), "embed=1");
        assert_eq!(join("k=2", false), "k=2");
    }

    #[test]
    fn the_snippet_carries_the_experiment_and_escapes_it() {
        let s = iframe("http://x/cpu?tasks=2-38&run=1", "CPU lab \"fast\"");
        assert!(s.starts_with("<iframe src=\"http://x/cpu?tasks=2-38&amp;run=1&amp;embed=1\""), "{s}");
        assert!(s.contains("title=\"CPU lab &quot;fast&quot;\""), "{s}");
        assert!(s.contains("width=\"700\" height=\"500\""));
        assert!(iframe("http://x/race", "t").contains("src=\"http://x/race?embed=1\""));
        assert!(iframe("http://x/race?embed=1", "t").contains("src=\"http://x/race?embed=1\""));
    }
}

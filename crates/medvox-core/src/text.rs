//! Text taken from files, made safe to print: control characters escaped (no
//! terminal escape sequences reach the user's terminal) and length bounded.
//!
//! ```
//! use medvox_core::text::printable;
//! assert_eq!(printable("a\x1b]0;x\x07b", 80), "a\\x1b]0;x\\x07b");
//! assert_eq!(printable(&"y".repeat(500), 10), "yyyyyyyyyy… (490 more characters)");
//! ```

use std::borrow::Cow;

/// Longest value printed from a file by default (header values, error messages).
pub const MAX_PRINTED: usize = 400;

/// `s` with control characters (C0, DEL, C1, and the bidi/zero-width format
/// characters that can disguise text) escaped as `\xNN` / `\u{…}` — except
/// `\t`, kept — and cut after `max_chars` characters with a note of how many were left out.
pub fn printable(s: &str, max_chars: usize) -> Cow<'_, str> {
    let clean = s.chars().all(|c| !needs_escape(c));
    let len = if clean && s.len() <= max_chars {
        s.len()
    } else {
        s.chars().count()
    };
    if clean && len <= max_chars {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max_chars * 4) + 32);
    for c in s.chars().take(max_chars) {
        if needs_escape(c) {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    if len > max_chars {
        out.push_str(&format!("… ({} more characters)", len - max_chars));
    }
    Cow::Owned(out)
}

/// [`printable`] of a whole error message: newlines are escaped too, so it
/// stays one line; the cut is longer ([`MAX_PRINTED`] × 4).
pub fn one_line(s: &str) -> Cow<'_, str> {
    printable(s, MAX_PRINTED * 4)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert!(matches!(printable("plain", 10), Cow::Borrowed(_)));
        assert_eq!(printable("a\nb\rc\u{9b}d", 10), "a\\x0ab\\x0dc\\x9bd");
        assert_eq!(printable("\u{202e}evil", 10), "\\u{202e}evil");
        assert_eq!(printable("ééé", 2), "éé… (1 more characters)");
        assert_eq!(printable("tab\there", 20), "tab\there");
    }
}

//! Text handling every backend shares: query words, the codes of 1–2 character grams that let
//! Postgres find "김치" inside "강화순무김치", HTML to plain text, and highlighting that is
//! always safe HTML.

use std::collections::BTreeSet;

/// Longest word kept from a query, in characters.
pub const MAX_TERM_CHARS: usize = 50;
/// Words of a query that count; the rest are ignored.
pub const MAX_TERMS: usize = 8;
/// Characters of description shown around a match.
pub const SNIPPET_CHARS: usize = 80;
/// Description characters kept in the index (and searched).
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// Markers an engine puts around matches (Unicode private use, so no real text has them):
/// they are swapped for `<em>` only after the text is HTML-escaped.
pub const MARK_OPEN: char = '\u{E000}';
pub const MARK_CLOSE: char = '\u{E001}';
pub const MARK_OPEN_STR: &str = "\u{E000}";
pub const MARK_CLOSE_STR: &str = "\u{E001}";

/// Case folding one character to one character, so that positions in folded text are
/// positions in the original (what highlighting needs).
pub fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn fold_str(s: &str) -> String {
    s.chars().map(fold).collect()
}

/// The words of a query: split on whitespace, lower-cased, stripped of surrounding
/// punctuation, de-duplicated, at most [`MAX_TERMS`] of at most [`MAX_TERM_CHARS`].
pub fn terms(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in q.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let word: String = fold_str(word).chars().take(MAX_TERM_CHARS).collect();
        if !word.is_empty() && !out.contains(&word) {
            out.push(word);
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// A character in 16 bits: its code point, or for one beyond U+FFFF a surrogate
/// (0xD800 | its low 11 bits), which no character of a string is. Those few characters
/// share codes, so a word holding one is always rechecked ([`needs_recheck`]).
fn unit(c: char) -> u32 {
    let u = u32::from(c);
    if u <= 0xFFFF { u } else { 0xD800 | (u & 0x7FF) }
}

/// The code of a 1- or 2-character gram: one character's unit, or two units in one
/// `int4` (the first never 0, so the two kinds never meet). The migration
/// `m20261202_000901_search_entries` computes the same in SQL.
fn gram_code(first: char, second: Option<char>) -> i32 {
    match second {
        None => unit(first) as i32,
        Some(s) => ((unit(first) << 16) | unit(s)) as i32,
    }
}

/// The codes of every distinct 1- and 2-character substring (case-folded, none
/// containing whitespace) of the given texts, sorted. A document contains a word only if
/// it holds all of the word's codes ([`term_codes`]), so a GIN index over these narrows
/// any substring search.
pub fn gram_codes<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<i32> {
    let mut set = BTreeSet::new();
    for text in texts {
        let chars: Vec<char> = text.chars().map(fold).collect();
        for (i, c) in chars.iter().enumerate() {
            if c.is_whitespace() {
                continue;
            }
            set.insert(gram_code(*c, None));
            if let Some(next) = chars.get(i + 1)
                && !next.is_whitespace()
            {
                set.insert(gram_code(*c, Some(*next)));
            }
        }
    }
    set.into_iter().collect()
}

/// The codes a document must hold to contain `term`: its bigrams, or the character
/// itself for a one-character term. (Unigrams of longer terms add nothing but work.)
pub fn term_codes(term: &str) -> Vec<i32> {
    let chars: Vec<char> = term.chars().map(fold).collect();
    if chars.len() == 1 {
        return vec![gram_code(chars[0], None)];
    }
    let set: BTreeSet<i32> = chars
        .windows(2)
        .map(|w| gram_code(w[0], Some(w[1])))
        .collect();
    set.into_iter().collect()
}

/// Whether holding a term's codes does not yet prove the term is there: a term of three
/// or more characters (its bigrams may stand apart), or one with a character beyond
/// U+FFFF (its code is shared). A shorter term is a single gram, so the index is exact.
pub fn needs_recheck(term: &str) -> bool {
    let mut n = 0;
    for c in term.chars() {
        n += 1;
        if n > 2 || u32::from(c) > 0xFFFF {
            return true;
        }
    }
    false
}

/// Case-folded text, character by character (what the Postgres index stores and its
/// rechecks compare query words with).
pub fn folded(s: &str) -> String {
    fold_str(s)
}

/// One character as a word Meilisearch keeps whole and never reads as Korean: `x` and
/// the code point in hexadecimal written with the letters `a`–`p` ('김', U+AE40, is
/// `xkoea`). Letters only, so no tokenizer splits it at digits.
fn char_token(c: char, out: &mut String) {
    out.push('x');
    let hex = format!("{:x}", u32::from(c));
    out.extend(hex.bytes().map(|b| {
        let d = if b.is_ascii_digit() {
            b - b'0'
        } else {
            b - b'a' + 10
        };
        char::from(b'a' + d)
    }));
}

/// Text as a sequence of [`char_token`]s, one per (case-folded) character, for an engine
/// that matches words and phrases but not substrings: a word of a query becomes the
/// phrase of its characters ([`char_phrase`]), and a phrase matches where its words
/// stand next to each other — inside a Korean compound as anywhere. Words of the text are
/// kept apart by ` . ` (a hard separator, which puts them 8 positions apart), so that no
/// phrase runs across a space, as no query word does.
pub fn char_tokens<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for text in texts {
        for word in text.split_whitespace() {
            if !out.is_empty() {
                out.push_str(" . ");
            }
            for (i, c) in word.chars().map(fold).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                char_token(c, &mut out);
            }
        }
    }
    out
}

/// A query word as the quoted phrase of its [`char_token`]s.
pub fn char_phrase(term: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in term.chars().map(fold).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        char_token(c, &mut out);
    }
    out.push('"');
    out
}

/// Remove the highlight markers from text that goes into an index.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| *c != MARK_OPEN && *c != MARK_CLOSE)
        .collect()
}

/// Plain text of (sanitised) description HTML: tags dropped, common entities decoded,
/// whitespace collapsed, at most `max_chars` characters.
pub fn html_to_text(html: &str, max_chars: usize) -> String {
    let mut stripped = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                stripped.push(' ');
            }
            _ if !in_tag => stripped.push(c),
            _ => {}
        }
    }
    let decoded = decode_entities(&stripped);
    let mut out = String::with_capacity(decoded.len());
    let mut count = 0;
    for word in decoded.split_whitespace() {
        let word = clean(word);
        if word.is_empty() {
            continue;
        }
        if count > 0 {
            if count >= max_chars {
                break;
            }
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max_chars {
                break;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &after[..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

/// HTML-escape text in which an engine marked matches with [`MARK_OPEN`]/[`MARK_CLOSE`],
/// turning the markers into `<em>`/`</em>`. Unbalanced markers are closed.
pub fn marked_to_html(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 16);
    let mut open = false;
    for c in marked.chars() {
        match c {
            MARK_OPEN if !open => {
                out.push_str("<em>");
                open = true;
            }
            MARK_CLOSE if open => {
                out.push_str("</em>");
                open = false;
            }
            MARK_OPEN | MARK_CLOSE => {}
            _ => push_escaped(&mut out, c),
        }
    }
    if open {
        out.push_str("</em>");
    }
    out
}

/// Which characters of `chars` lie inside a case-insensitive occurrence of a term.
fn match_mask(chars: &[char], terms: &[String]) -> Vec<bool> {
    let folded: Vec<char> = chars.iter().map(|c| fold(*c)).collect();
    let mut mask = vec![false; chars.len()];
    for term in terms {
        let t: Vec<char> = term.chars().map(fold).collect();
        if t.is_empty() || t.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - t.len() {
            if folded[start..start + t.len()] == t[..] {
                mask[start..start + t.len()]
                    .iter_mut()
                    .for_each(|m| *m = true);
            }
        }
    }
    mask
}

fn render(chars: &[char], mask: &[bool]) -> String {
    let mut out = String::with_capacity(chars.len() + 16);
    let mut open = false;
    for (c, m) in chars.iter().zip(mask) {
        if *m && !open {
            out.push_str("<em>");
            open = true;
        } else if !*m && open {
            out.push_str("</em>");
            open = false;
        }
        push_escaped(&mut out, *c);
    }
    if open {
        out.push_str("</em>");
    }
    out
}

/// `text` as escaped HTML with every occurrence of a term in `<em>`.
pub fn highlight(text: &str, terms: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mask = match_mask(&chars, terms);
    render(&chars, &mask)
}

/// About `width` characters of `text` around its first match, as escaped HTML with the
/// matches in `<em>` and `…` where it was cut; `None` when no term occurs.
pub fn snippet(text: &str, terms: &[String], width: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mask = match_mask(&chars, terms);
    let first = mask.iter().position(|m| *m)?;
    // Some context before the match, most of the room after it.
    let start = first.saturating_sub(width / 4);
    let end = (start + width).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&render(&chars[start..end], &mask[start..end]));
    if end < chars.len() {
        out.push('…');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_folded_deduplicated_and_trimmed() {
        assert_eq!(
            terms("  김치  KIMCHI, kimchi 2kg! "),
            ["김치", "kimchi", "2kg"]
        );
        assert!(terms(" ,, ").is_empty());
        assert_eq!(terms("a b c d e f g h i j").len(), MAX_TERMS);
    }

    #[test]
    fn gram_codes_cover_every_substring_of_one_or_two_characters() {
        let g = gram_codes(["강화순무김치 2KG"]);
        for want in ["김치", "무김", "김", "2k", "kg", "강"] {
            assert!(
                term_codes(want).iter().all(|c| g.contains(c)),
                "missing {want}"
            );
        }
        // No gram spans the space.
        assert!(!term_codes("치2").iter().all(|c| g.contains(c)));
        // A word is found only if all its grams are there.
        assert!(term_codes("순무김치").iter().all(|c| g.contains(c)));
        assert!(!term_codes("꽃게").iter().all(|c| g.contains(c)));
        assert_eq!(term_codes("쌀"), [i32::try_from(u32::from('쌀')).unwrap()]);
        // Hangul is above U+7FFF: a pair of syllables is a negative int4.
        assert_eq!(term_codes("김치"), [((0xAE40u32 << 16) | 0xCE58) as i32]);
        assert!(g.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
    }

    #[test]
    fn only_short_plain_terms_skip_the_recheck() {
        assert!(!needs_recheck("김치"));
        assert!(!needs_recheck("꿀"));
        assert!(needs_recheck("순무김"));
        assert!(needs_recheck("😀"));
        // Characters beyond U+FFFF share codes, so they alone cannot prove a match.
        assert_eq!(term_codes("😀"), term_codes("\u{1EE00}"));
    }

    #[test]
    fn characters_become_words_and_query_words_phrases() {
        assert_eq!(char_tokens(["김치"]), "xkoea xmofi");
        assert_eq!(char_phrase("김치"), "\"xkoea xmofi\"");
        // Case folds; words stay apart; digits and punctuation are words like any other.
        assert_eq!(char_tokens(["A1 b", "c"]), "xgb xdb . xgc . xgd");
        assert_eq!(char_phrase("A1"), "\"xgb xdb\"");
        assert!(char_tokens(["강화순무김치 2KG, 특가!"]).contains(&char_phrase("김치")[1..11]));
        let tokens = char_tokens(["가나다라마바사 ABC xyz 123 !?"]);
        assert!(
            tokens
                .split(' ')
                .all(|t| t == "."
                    || (t.starts_with('x') && t.bytes().all(|b| b.is_ascii_lowercase()))),
            "{tokens}"
        );
    }

    #[test]
    fn html_becomes_collapsed_plain_text() {
        let t = html_to_text(
            "<p>강화 <b>순무</b>&amp;김치</p>\n<p>&lt;맛있는&gt; &#54620;&#xAE00; &bogus;</p>",
            1000,
        );
        assert_eq!(t, "강화 순무 &김치 <맛있는> 한글 &bogus;");
        assert_eq!(html_to_text("<p>가나다라마바사</p>", 3), "가나다");
    }

    #[test]
    fn highlights_are_escaped_html() {
        assert_eq!(
            highlight("<강화>순무김치", &["김치".into()]),
            "&lt;강화&gt;순무<em>김치</em>"
        );
        assert_eq!(
            highlight("Kimchi & kimchi", &["kimchi".into()]),
            "<em>Kimchi</em> &amp; <em>kimchi</em>"
        );
        assert_eq!(
            marked_to_html("a<b>\u{E000}김치\u{E001} \u{E000}x"),
            "a&lt;b&gt;<em>김치</em> <em>x</em>"
        );
    }

    #[test]
    fn snippets_show_the_first_match_with_context() {
        let text = format!(
            "{}김치를 담아도 좋은 바구니{}",
            "가".repeat(50),
            "나".repeat(50)
        );
        let s = snippet(&text, &["김치".into()], 20).unwrap_or_default();
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<em>김치</em>"));
        assert!(snippet("바구니", &["김치".into()], 20).is_none());
    }
}

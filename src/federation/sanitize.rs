//! Remote HTML reduced to Mastodon's allow-list (`Sanitize::Config::MASTODON_STRICT` in
//! Mastodon's `lib/sanitize_ext/sanitize_config.rb`), with `ammonia`.
//!
//! Kept: `p br span a del s pre blockquote code b strong u i em ul ol li ruby rt rp`;
//! attributes `lang` (everywhere), `a[href class translate]`, `span[class translate]`,
//! `p[class]`, `ol[start reversed]`, `li[value]`; only the classes Mastodon keeps
//! (microformats `h-* p-* u-* dt-* e-*`, `mention`, `hashtag`, `ellipsis`, `invisible`,
//! `quote-inline`); `translate` only when `no`. Links get `rel="nofollow noopener"` and
//! `target="_blank"`. Like Mastodon:
//! - a link whose scheme is not one of `http https dat dweb ipfs ipns ssb gopher xmpp magnet
//!   gemini` (or that is relative) becomes its plain text;
//! - headings `h1`–`h6` become `<p><strong>…</strong></p>`;
//! - MathML (FEP-dc88) becomes its `application/x-tex` annotation (`$…$`, or `$$…$$` for
//!   `display="block"`), else its `text/plain` annotation, else nothing;
//! - the contents of `script style iframe noembed noframes noscript plaintext svg xmp` are
//!   dropped; other elements are removed and their contents kept, block elements such as
//!   `div` leaving a space on each side.
//!
//! Ammonia does the allow-list work (the security boundary); a second pass over its
//! canonical output only applies the structural conversions above, and can only remove
//! markup or rename allowed elements.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Link schemes Mastodon keeps (`LINK_PROTOCOLS`).
pub const LINK_SCHEMES: &[&str] = &[
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

const TAGS: &[&str] = &[
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
    "ruby",
    "rt",
    "rp",
    // Converted by the second pass, never output as such:
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "math",
    "semantics",
    "annotation",
    // Replaced by spaces by the second pass (see `SPACED`):
    "address",
    "article",
    "aside",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "header",
    "hgroup",
    "hr",
    "nav",
    "section",
];

/// Removed block elements that leave a space on each side, so that words in neighbouring
/// blocks stay apart (Sanitize's `whitespace_elements`, less those Mastodon keeps).
const SPACED: &[&str] = &[
    "address", "article", "aside", "dd", "div", "dl", "dt", "footer", "header", "hgroup", "hr",
    "nav", "section",
];

/// Elements removed together with their contents (Sanitize's `remove_contents` default).
const REMOVED_WITH_CONTENTS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "svg",
    "xmp",
];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let attributes: HashMap<&str, HashSet<&str>> = [
        ("a", &["href", "class", "translate"][..]),
        ("span", &["class", "translate"]),
        ("p", &["class"]),
        ("ol", &["start", "reversed"]),
        ("li", &["value"]),
        ("math", &["display"]),
        ("annotation", &["encoding"]),
    ]
    .into_iter()
    .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
    .collect();
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(REMOVED_WITH_CONTENTS.iter().copied().collect())
        .tag_attributes(attributes)
        .tag_attribute_values(HashMap::new())
        .generic_attributes(["lang"].into_iter().collect())
        .url_schemes(LINK_SCHEMES.iter().copied().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("nofollow noopener"))
        .set_tag_attribute_values(HashMap::from([(
            "a",
            HashMap::from([("target", "_blank")]),
        )]))
        .strip_comments(true)
        .attribute_filter(|_element, attribute, value| match attribute {
            "class" => {
                let kept: Vec<&str> = value
                    .split(['\t', '\n', '\x0c', '\r', ' '])
                    .filter(|c| allowed_class(c))
                    .collect();
                (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
            }
            "translate" => (value == "no").then_some(Cow::Borrowed(value)),
            _ => Some(Cow::Borrowed(value)),
        });
    builder
});

/// Mastodon's `ALLOWED_CLASS_TRANSFORMER`.
fn allowed_class(class: &str) -> bool {
    ["h-", "p-", "u-", "dt-", "e-"]
        .iter()
        .any(|prefix| class.starts_with(prefix))
        || matches!(
            class,
            "mention" | "hashtag" | "ellipsis" | "invisible" | "quote-inline"
        )
}

/// Sanitizes remote HTML (a status's `content`, a profile's `summary`, field values).
pub fn sanitize_html(html: &str) -> String {
    let clean = SANITIZER.clean(html).to_string();
    restructure(&clean)
}

/// MathML being collected by [`restructure`].
#[derive(Default)]
struct Math {
    depth: usize,
    block: bool,
    /// Encoding of the `annotation` being read, if any.
    reading: Option<String>,
    tex: Option<String>,
    plain: Option<String>,
}

/// The second pass over ammonia's output (well-formed, attributes double-quoted, text
/// escaped): headings, links without an allowed `href`, and MathML.
fn restructure(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 32);
    // For each open `<a>`: whether it is being turned into text.
    let mut links: Vec<bool> = Vec::new();
    let mut dropped = 0usize;
    let mut math: Option<Math> = None;
    let mut rest = html;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            text(&mut out, &mut math, rest);
            break;
        };
        text(&mut out, &mut math, &rest[..open]);
        let Some(len) = tag_len(&rest[open..]) else {
            break;
        };
        let tag = &rest[open..open + len];
        rest = &rest[open + len..];
        let closing = tag.starts_with("</");
        let name = tag_name(tag);

        if let Some(m) = math.as_mut() {
            match (name, closing) {
                ("math", false) => m.depth += 1,
                ("math", true) => {
                    m.depth -= 1;
                    if m.depth == 0 {
                        let m = math.take().expect("inside math");
                        if let Some(tex) = m.tex {
                            let fence = if m.block { "$$" } else { "$" };
                            out.push_str(&format!("{fence}{tex}{fence}"));
                        } else if let Some(plain) = m.plain {
                            out.push_str(&plain);
                        }
                    }
                }
                ("annotation", false) => {
                    // The first annotation of each encoding counts, as in Mastodon.
                    let encoding = attribute(tag, "encoding");
                    m.reading = match encoding.as_deref() {
                        Some("application/x-tex") if m.tex.is_none() => {
                            m.tex = Some(String::new());
                            encoding
                        }
                        Some("text/plain") if m.plain.is_none() => {
                            m.plain = Some(String::new());
                            encoding
                        }
                        _ => None,
                    };
                }
                ("annotation", true) => m.reading = None,
                _ => {}
            }
            continue;
        }
        if name == "math" && !closing {
            math = Some(Math {
                depth: 1,
                block: attribute(tag, "display").as_deref() == Some("block"),
                ..Math::default()
            });
            continue;
        }
        if name == "a" {
            if closing {
                if links.pop().unwrap_or(true) {
                    dropped = dropped.saturating_sub(1);
                } else {
                    out.push_str(tag);
                }
            } else {
                let drop = dropped > 0 || attribute(tag, "href").is_none();
                links.push(drop);
                if drop {
                    dropped += 1;
                } else {
                    out.push_str(tag);
                }
            }
            continue;
        }
        if dropped > 0 {
            continue;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => out.push_str(if closing {
                "</strong></p>"
            } else {
                "<p><strong>"
            }),
            // Only ever inside `math`, which is handled above; never output.
            "semantics" | "annotation" => {}
            spaced if SPACED.contains(&spaced) => {
                out.push_str(if spaced == "hr" { "  " } else { " " })
            }
            _ => out.push_str(tag),
        }
    }
    out
}

/// Appends escaped text to the output, or to the MathML annotation being read.
fn text(out: &mut String, math: &mut Option<Math>, text: &str) {
    match math {
        None => out.push_str(text),
        Some(m) => {
            let slot = match m.reading.as_deref() {
                Some("application/x-tex") => m.tex.as_mut(),
                Some("text/plain") => m.plain.as_mut(),
                _ => None,
            };
            if let Some(slot) = slot {
                slot.push_str(text);
            }
        }
    }
}

/// Length of the tag at the start of `s` (which starts with `<`), quotes respected.
fn tag_len(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The element name of a start or end tag.
fn tag_name(tag: &str) -> &str {
    let inner = tag.trim_start_matches('<').trim_start_matches('/');
    let end = inner
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .unwrap_or(inner.len());
    &inner[..end]
}

/// The (still escaped) value of attribute `name` in a start tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        sanitize_html(html)
    }

    #[test]
    fn mastodon_markup_is_kept() {
        let html = r#"<p>Hi <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span> <a href="https://m.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a></p><p><a href="https://example.com/a/very/long/path" target="_blank" rel="nofollow noopener"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>"#;
        assert_eq!(
            clean(html),
            r#"<p>Hi <span class="h-card"><a href="https://m.example/@bob" class="u-url mention" target="_blank" rel="nofollow noopener">@<span>bob</span></a></span> <a href="https://m.example/tags/rust" class="mention hashtag" target="_blank" rel="nofollow noopener">#<span>rust</span></a></p><p><a href="https://example.com/a/very/long/path" target="_blank" rel="nofollow noopener"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>"#
        );
        assert_eq!(
            clean(
                "<p>a<br>b</p><pre><code>x &lt; y</code></pre><blockquote><ol start=\"3\" reversed=\"\"><li value=\"2\"><del>d</del><s>s</s><b>b</b><strong>st</strong><u>u</u><i>i</i><em>em</em></li></ol><ul><li>x</li></ul></blockquote><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"
            ),
            "<p>a<br>b</p><pre><code>x &lt; y</code></pre><blockquote><ol start=\"3\" reversed=\"\"><li value=\"2\"><del>d</del><s>s</s><b>b</b><strong>st</strong><u>u</u><i>i</i><em>em</em></li></ol><ul><li>x</li></ul></blockquote><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"
        );
        assert_eq!(
            clean(
                r#"<p lang="fr" class="quote-inline">RE: <span translate="no">x</span><span translate="yes">y</span></p>"#
            ),
            r#"<p lang="fr" class="quote-inline">RE: <span translate="no">x</span><span>y</span></p>"#
        );
    }

    #[test]
    fn scripts_styles_and_handlers_are_removed() {
        assert_eq!(clean("<p>a<script>alert(1)</script>b</p>"), "<p>ab</p>");
        assert_eq!(
            clean("<style>p{color:red}</style><p style=\"x\">t</p>"),
            "<p>t</p>"
        );
        assert_eq!(
            clean(r#"<p onclick="alert(1)" onmouseover="x">t</p><img src=x onerror=alert(1)>"#),
            "<p>t</p>"
        );
        assert_eq!(
            clean("<iframe src=\"https://evil.example\">inner</iframe>ok"),
            "ok"
        );
        assert_eq!(
            clean("<svg><script>alert(1)</script><text>hi</text></svg><p>after</p>"),
            "<p>after</p>"
        );
        assert_eq!(
            clean("<noscript><p>n</p></noscript><xmp><b>x</b></xmp>"),
            ""
        );
        assert_eq!(
            clean("<object data=x>o</object><embed src=x><form><input value=1></form>"),
            "o"
        );
        assert_eq!(clean("a<!-- <script>alert(1)</script> -->b"), "ab");
        assert_eq!(
            clean("<template><script>alert(1)</script></template>t"),
            "t"
        );
        // Unclosed and misnested markup comes out well-formed.
        assert_eq!(clean("<b><i>x</b>y"), "<b><i>x</i></b><i>y</i>");
        assert_eq!(clean("<p>open"), "<p>open</p>");
        // Text that looks like markup stays text.
        assert_eq!(
            clean("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn dangerous_and_relative_links_become_text() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "vbscript:msgbox(1)",
            "/relative/path",
            "//evil.example/x",
            "#top",
            "ftp://files.example/x",
        ] {
            let html = format!("<p>go <a href=\"{href}\" class=\"mention\">th<b>ere</b></a>!</p>");
            assert_eq!(clean(&html), "<p>go there!</p>", "{href}");
        }
        assert_eq!(clean("<a>no href</a>"), "no href");
        assert_eq!(
            clean(r#"<a href="gemini://g.example/">g</a> <a href="magnet:?xt=urn:btih:abc">m</a>"#),
            r#"<a href="gemini://g.example/" target="_blank" rel="nofollow noopener">g</a> <a href="magnet:?xt=urn:btih:abc" target="_blank" rel="nofollow noopener">m</a>"#
        );
        // The sender's rel and target are replaced by ours.
        assert_eq!(
            clean(r#"<a href="https://x.example/" rel="me opener" target="_self">x</a>"#),
            r#"<a href="https://x.example/" target="_blank" rel="nofollow noopener">x</a>"#
        );
        // A quote in the URL cannot break out of the attribute.
        assert_eq!(
            clean(r#"<a href='https://x.example/"><script>alert(1)</script>'>x</a>"#),
            r#"<a href="https://x.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" target="_blank" rel="nofollow noopener">x</a>"#
        );
    }

    #[test]
    fn classes_are_filtered() {
        assert_eq!(
            clean(
                r#"<span class="h-card evil p-name u-photo dt-published e-content mentionx hashtag">x</span>"#
            ),
            r#"<span class="h-card p-name u-photo dt-published e-content hashtag">x</span>"#
        );
        assert_eq!(clean(r#"<span class="bad">x</span>"#), "<span>x</span>");
        assert_eq!(clean(r#"<b class="mention">x</b>"#), "<b>x</b>");
    }

    #[test]
    fn unsupported_blocks_are_converted_like_mastodon() {
        assert_eq!(
            clean("<h1>Title</h1><h3 id=\"x\">Sub</h3><p>text</p>"),
            "<p><strong>Title</strong></p><p><strong>Sub</strong></p><p>text</p>"
        );
        assert_eq!(
            clean("<div>a</div><div>b<hr>c</div><table><tr><td>d</td><td>e</td></tr></table>"),
            " a  b  c de"
        );
        assert_eq!(clean(r#"<div class="mention" onclick="x">t</div>"#), " t ");
        assert_eq!(clean(r#"<a href="javascript:x"><div>t</div></a>"#), "t");
        assert_eq!(
            clean("<h2><a href=\"javascript:x\">t</a></h2>"),
            "<p><strong>t</strong></p>"
        );
    }

    #[test]
    fn math_becomes_its_annotation() {
        let tex = r#"<p>See <math><semantics><mrow><msup><mi>x</mi><mn>2</mn></msup></mrow><annotation encoding="application/x-tex">x^2 &lt; y</annotation></semantics></math>.</p>"#;
        assert_eq!(clean(tex), "<p>See $x^2 &lt; y$.</p>");
        let block = r#"<math display="block"><semantics><mi>x</mi><annotation encoding="text/plain">x squared</annotation><annotation encoding="application/x-tex">x^2</annotation></semantics></math>"#;
        assert_eq!(clean(block), "$$x^2$$");
        let plain = r#"<math><semantics><mi>x</mi><annotation encoding="text/plain">x squared</annotation></semantics></math>"#;
        assert_eq!(clean(plain), "x squared");
        assert_eq!(clean("<math><mi>x</mi></math>y"), "y");
        // Namespace games inside math come out as text, never markup.
        let hostile = r#"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext><annotation-xml encoding="text/html"><script>alert(1)</script></annotation-xml></math>ok"#;
        assert_eq!(clean(hostile), "ok");
    }

    #[test]
    fn deep_and_large_input_does_not_panic() {
        let deep = "<b>".repeat(20_000) + "x";
        let out = clean(&deep);
        assert!(out.contains('x'));
        let links = "<a href=\"https://x.example/\">".repeat(1000) + "y";
        assert!(clean(&links).contains('y'));
        let big = "<p>word</p>".repeat(50_000);
        assert_eq!(clean(&big).len(), big.len());
        assert_eq!(clean(""), "");
        assert_eq!(clean("plain & simple"), "plain &amp; simple");
    }
}

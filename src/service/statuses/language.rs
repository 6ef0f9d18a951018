//! Status languages: the codes Mastodon accepts (ISO 639-1, a few ISO 639-3 and regional
//! variants) and the fallback chain used when a client sends none or an unknown one.

/// ISO 639-1 codes.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// ISO 639-3 codes Mastodon supports for languages without a two-letter code.
const ISO_639_3: &[&str] = &[
    "ast", "chr", "ckb", "cnr", "csb", "gsw", "jbo", "kab", "ldn", "lfn", "moh", "nds", "pdc",
    "sco", "sma", "smj", "szl", "tai", "tok", "zba", "zgh",
];

/// Regional variants Mastodon supports.
const REGIONAL: &[&str] = &[
    "es-AR", "es-MX", "pt-BR", "pt-PT", "sr-Latn", "zh-CN", "zh-HK", "zh-TW",
];

/// The canonical form of `code` if it is a supported language, else `None`.
pub fn normalize(code: &str) -> Option<&'static str> {
    let code = code.trim();
    if code.is_empty() {
        return None;
    }
    let lower = code.to_ascii_lowercase();
    ISO_639_1
        .iter()
        .chain(ISO_639_3)
        .chain(REGIONAL)
        .find(|c| c.to_ascii_lowercase() == lower)
        .copied()
}

/// The first supported language among `candidates` (Mastodon's `valid_locale_cascade`),
/// or English.
pub fn cascade<'a>(candidates: impl IntoIterator<Item = Option<&'a str>>) -> String {
    candidates
        .into_iter()
        .flatten()
        .find_map(normalize)
        .unwrap_or("en")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes() {
        assert_eq!(normalize("de"), Some("de"));
        assert_eq!(normalize("DE"), Some("de"));
        assert_eq!(normalize("pt-br"), Some("pt-BR"));
        assert_eq!(normalize("tok"), Some("tok"));
        assert_eq!(normalize("xx"), None);
        assert_eq!(normalize(""), None);
        assert_eq!(cascade([Some("nope"), None, Some("fr")]), "fr");
        assert_eq!(cascade([None, Some("klingon")]), "en");
    }
}

//! The `Poll` entity, written as JSON: the part every reader sees is kept with the status's
//! cached rendering ([`PollPart`]); whether it has ended, the totals it shows then, and the
//! reader's own votes (`voted`, `own_votes`) are written per reader ([`write_poll`]).

use std::fmt::Write as _;

use crate::db::polls::Poll;
use crate::time::rfc3339;

/// What a poll shows the same way to every reader at a given version of its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollPart {
    /// The poll's id.
    pub id: i64,
    /// Its author (who counts as having voted).
    pub account_id: i64,
    /// When it ends (unix ms).
    pub expires_at: Option<i64>,
    /// Several choices allowed.
    pub multiple: bool,
    /// Totals hidden until it ends.
    pub hide_totals: bool,
    /// All votes.
    pub votes_count: i64,
    /// Distinct voters, when known.
    pub voters_count: Option<i64>,
    /// Option titles, each already a JSON string literal.
    pub titles_json: Vec<String>,
    /// Votes per option.
    pub tallies: Vec<i64>,
}

impl PollPart {
    /// The part of a stored poll.
    pub fn of(p: &Poll) -> PollPart {
        PollPart {
            id: p.id,
            account_id: p.account_id,
            expires_at: p.expires_at,
            multiple: p.multiple,
            hide_totals: p.hide_totals,
            votes_count: p.votes_count,
            voters_count: p.voters_count,
            titles_json: p
                .titles()
                .iter()
                .map(|t| serde_json::to_string(t).expect("strings serialise"))
                .collect(),
            tallies: p.counts(),
        }
    }

    /// Approximate bytes held (for the render cache's bound).
    pub fn weight(&self) -> u64 {
        (self.titles_json.iter().map(String::len).sum::<usize>() + self.tallies.len() * 8 + 96)
            as u64
    }
}

/// The reader of a poll: `None` when anonymous (then `voted` and `own_votes` are absent).
#[derive(Debug, Clone, Copy)]
pub struct PollReader<'a> {
    /// The signed-in reader.
    pub viewer: Option<i64>,
    /// The reader's choices in this poll.
    pub own_votes: &'a [i64],
    /// The time to judge expiry by (unix ms).
    pub now: i64,
}

/// Writes a complete `Poll` object for one reader.
pub fn write_poll(out: &mut String, p: &PollPart, r: PollReader<'_>) {
    let expired = p.expires_at.is_some_and(|e| e <= r.now);
    let b = |x: bool| if x { "true" } else { "false" };
    let _ = write!(out, "{{\"id\":\"{}\",\"expires_at\":", p.id);
    match p.expires_at {
        Some(e) => {
            let _ = write!(out, "\"{}\"", rfc3339(e));
        }
        None => out.push_str("null"),
    }
    let _ = write!(
        out,
        ",\"expired\":{},\"multiple\":{},\"votes_count\":{},\"voters_count\":",
        b(expired),
        b(p.multiple),
        p.votes_count
    );
    match p.voters_count {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push_str("null"),
    }
    if let Some(v) = r.viewer {
        let voted = v == p.account_id || !r.own_votes.is_empty();
        let _ = write!(out, ",\"voted\":{},\"own_votes\":[", b(voted));
        for (i, c) in r.own_votes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{c}");
        }
        out.push(']');
    }
    // Mastodon shows the counts once the poll ended, or always unless they are hidden.
    let show_totals = expired || !p.hide_totals;
    out.push_str(",\"options\":[");
    for (i, title) in p.titles_json.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"title\":{title},\"votes_count\":");
        if show_totals {
            let _ = write!(out, "{}", p.tallies.get(i).copied().unwrap_or(0));
        } else {
            out.push_str("null");
        }
        out.push('}');
    }
    out.push_str("],\"emojis\":[]}");
}

/// A complete `Poll` object for one reader, as a string.
pub fn poll_json(p: &PollPart, r: PollReader<'_>) -> String {
    let mut out = String::with_capacity(256);
    write_poll(&mut out, p, r);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part() -> PollPart {
        PollPart {
            id: 5,
            account_id: 1,
            expires_at: Some(1_000),
            multiple: false,
            hide_totals: true,
            votes_count: 3,
            voters_count: Some(3),
            titles_json: vec!["\"a \\\"b\\\"\"".into(), "\"c\"".into()],
            tallies: vec![2, 1],
        }
    }

    #[test]
    fn readers_see_their_votes_and_hidden_totals_until_the_end() {
        let p = part();
        let anon: serde_json::Value = serde_json::from_str(&poll_json(
            &p,
            PollReader {
                viewer: None,
                own_votes: &[],
                now: 500,
            },
        ))
        .unwrap();
        assert_eq!(anon["id"], "5");
        assert_eq!(anon["expired"], false);
        assert!(anon.get("voted").is_none());
        assert_eq!(anon["options"][0]["title"], "a \"b\"");
        assert!(anon["options"][0]["votes_count"].is_null());

        let voter: serde_json::Value = serde_json::from_str(&poll_json(
            &p,
            PollReader {
                viewer: Some(9),
                own_votes: &[1],
                now: 2_000,
            },
        ))
        .unwrap();
        assert_eq!(voter["expired"], true);
        assert_eq!(voter["voted"], true);
        assert_eq!(voter["own_votes"], serde_json::json!([1]));
        assert_eq!(voter["options"][0]["votes_count"], 2);

        let author: serde_json::Value = serde_json::from_str(&poll_json(
            &p,
            PollReader {
                viewer: Some(1),
                own_votes: &[],
                now: 0,
            },
        ))
        .unwrap();
        assert_eq!(author["voted"], true);
        assert_eq!(author["own_votes"], serde_json::json!([]));
    }
}

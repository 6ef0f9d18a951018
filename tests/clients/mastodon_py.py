"""Conformance check with an unmodified Mastodon.py against a running Woolly.

Usage: python3 mastodon_py.py BASE_URL
Expects local users alice and bob (password "password123") to exist. Exits non-zero on the
first failed expectation; prints "ALL OK" at the end.
"""
import sys
import time

from mastodon import Mastodon

base = sys.argv[1]
SCOPES = ["read", "write", "follow", "push"]


def expect(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


cid, csec = Mastodon.create_app("mastodon.py conformance", api_base_url=base, scopes=SCOPES)
a = Mastodon(client_id=cid, client_secret=csec, api_base_url=base)
a.log_in("alice@example.com", "password123", scopes=SCOPES, allow_http=True)
b = Mastodon(client_id=cid, client_secret=csec, api_base_url=base)
b.log_in("bob", "password123", scopes=SCOPES, allow_http=True)

expect(a.verify_minimum_version("4.0.0"), "version check enables 4.x features")
me = a.me()
bob = b.me()
expect(me.acct == "alice" and bob.acct == "bob", "verify_credentials")
expect(a.instance().title, "instance")

expect(b.account_follow(me.id).following, "follow")
posted = [a.status_post(f"hello world {i} #test @bob", visibility="public") for i in range(5)]
deadline = time.time() + 10
while time.time() < deadline and len(b.timeline_home(limit=40)) < 5:
    time.sleep(0.05)

page = b.timeline_home(limit=2)
expect([s.id for s in page] == [posted[4].id, posted[3].id], "home page 1")
page2 = b.fetch_next(page)
expect([s.id for s in page2] == [posted[2].id, posted[1].id], "home page 2 via Link")
expect(len(b.fetch_remaining(page)) == 5, "fetch_remaining follows Link to the end")
expect([n.type for n in b.notifications()] == ["mention"] * 5, "mention notifications")

target = posted[4]
expect(b.status_favourite(target.id).favourited, "favourite")
expect(b.status_reblog(target.id).reblog.id == target.id, "reblog")
expect(b.status_bookmark(target.id).bookmarked, "bookmark")
expect([n.type for n in a.notifications()] == ["reblog", "favourite", "follow"], "alice's notifications")
expect(set(a.status_context(target.id).keys()) == {"ancestors", "descendants"}, "context")
expect([x.acct for x in a.search_v2("bo").accounts] == ["bob"], "search")
expect(a.account_relationships([bob.id])[0].followed_by, "relationships")
expect(len(a.timeline_public(local=True)) == 5, "public timeline")
expect(len(a.timeline_hashtag("test")) == 5, "tag timeline")
a.markers_set(["home"], [target.id])
expect(a.markers_get(["home"])["home"]["last_read_id"] == str(target.id), "markers")
expect(a.preferences()["posting:default:visibility"] == "public", "preferences")
expect(a.status_update(target.id, "edited!").content == "<p>edited!</p>", "edit")
expect(len(a.status_history(target.id)) == 2, "history")
expect(a.status_delete(target.id).text == "edited!", "delete and redraft")
expect(a.grouped_notifications()["notification_groups"][0]["type"] == "follow", "grouped notifications")
b.revoke_access_token(allow_http=True)
try:
    b.me()
    expect(False, "a revoked token is refused")
except Exception as e:  # MastodonUnauthorizedError
    expect("401" in str(e) or "Unauthorized" in type(e).__name__, f"revoked token gives 401, got {e!r}")
print("ALL OK")

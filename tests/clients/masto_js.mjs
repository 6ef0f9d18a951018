// Conformance check with an unmodified masto.js (npm `masto`, the library behind Elk and
// Phanpy) against a running Woolly.
//
// Usage: node masto_js.mjs BASE_URL
// Expects local users alice and bob (e-mail USER@example.com, password "password123") to
// exist. Exits non-zero on the first failed expectation; prints "ALL OK" at the end.
import assert from "node:assert/strict";

import { createOAuthAPIClient, createRestAPIClient, MastoHttpError } from "masto";

const url = process.argv[2] ?? process.env.WOOLLY_URL;
assert.ok(url, "usage: node masto_js.mjs BASE_URL");
const SCOPES = "read write follow push";
const OOB = "urn:ietf:wg:oauth:2.0:oob";

let step = "start";
process.on("unhandledRejection", (e) => fail(e));
function fail(e) {
  console.log(`FAILED at ${step}:`, e instanceof MastoHttpError ? `${e.statusCode} ${e.message}` : e);
  process.exit(1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Collects every page of a paginator (following `Link: <…>; rel="next"`). */
async function allPages(paginator) {
  const pages = [];
  for await (const page of paginator) {
    pages.push(page);
    assert.ok(pages.length < 50, "pagination ends");
  }
  return pages;
}

/** Expects a masto.js call to fail with the given HTTP status. */
async function rejects(promise, status) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof MastoHttpError, `an HTTP error, got ${e}`);
    assert.equal(e.statusCode, status);
    return e;
  }
  assert.fail(`expected HTTP ${status}`);
}

async function main() {
  step = "instance";
  const anon = createRestAPIClient({ url });
  const v1 = await anon.v1.instance.fetch();
  assert.ok(v1.uri && v1.title, "v1 instance has uri and title");
  assert.match(v1.version, /^4\./, "v1 instance announces a 4.x API");
  const v2 = await anon.v2.instance.fetch();
  assert.equal(v2.domain, v1.uri, "v2 domain = v1 uri");
  assert.ok(v2.configuration.statuses.maxCharacters >= 500, "v2 configuration (camelCased)");
  assert.ok(Array.isArray(v2.rules), "v2 rules");

  step = "register app";
  const app = await anon.v1.apps.create({ clientName: "masto.js conformance", redirectUris: OOB, scopes: SCOPES });
  assert.ok(app.clientId && app.clientSecret, "app has client id and secret");
  assert.equal(app.name, "masto.js conformance");

  step = "password grant";
  const oauth = createOAuthAPIClient({ url });
  const login = async (username) => {
    const token = await oauth.token.create({
      grantType: "password",
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri: OOB,
      scope: SCOPES,
      username: `${username}@example.com`,
      password: "password123",
    });
    assert.equal(token.tokenType, "Bearer");
    assert.equal(token.scope, SCOPES);
    return { token, client: createRestAPIClient({ url, accessToken: token.accessToken }) };
  };
  const { client: a } = await login("alice");
  const { client: b, token: bToken } = await login("bob");
  const appSelf = await a.v1.apps.verifyCredentials();
  assert.equal(appSelf.name, "masto.js conformance", "apps/verify_credentials");

  step = "verify/update credentials";
  const me = await a.v1.accounts.verifyCredentials();
  const bob = await b.v1.accounts.verifyCredentials();
  assert.equal(me.acct, "alice");
  assert.equal(bob.acct, "bob");
  assert.equal(me.source.privacy, "public", "credential account has source");
  const updated = await a.v1.accounts.updateCredentials({
    displayName: "Alice in Woolly",
    note: "Hello from masto.js",
    fieldsAttributes: [{ name: "Site", value: "example.com" }],
  });
  assert.equal(updated.displayName, "Alice in Woolly");
  assert.equal(updated.source.note, "Hello from masto.js");
  assert.equal(updated.fields[0].name, "Site");
  assert.equal((await a.v1.accounts.$select(me.id).fetch()).displayName, "Alice in Woolly");
  assert.equal((await anon.v1.accounts.lookup({ acct: "bob" })).id, bob.id, "lookup");

  step = "follow and relationships";
  const rel = await b.v1.accounts.$select(me.id).follow({ reblogs: true });
  assert.equal(rel.following, true);
  const [aRel] = await a.v1.accounts.relationships.fetch({ id: [bob.id] });
  assert.equal(aRel.followedBy, true, "alice sees bob follows her");
  assert.equal(aRel.following, false);
  const followers = await a.v1.accounts.$select(me.id).followers.list();
  assert.deepEqual(followers.map((x) => x.id), [bob.id], "followers list");

  step = "post";
  const posted = [];
  for (let i = 0; i < 5; i++) {
    posted.push(await a.v1.statuses.create({ status: `masto ${i} #mastojs @bob`, visibility: "public" }));
  }
  assert.equal(posted[0].content.includes("#<span>mastojs</span>"), true, "hashtag linked");
  assert.deepEqual(posted[0].mentions.map((m) => m.acct), ["bob"], "mention parsed");
  assert.equal(posted[0].account.id, me.id);
  const cw = await a.v1.statuses.create({ status: "behind a warning", spoilerText: "cw", sensitive: true });
  assert.equal(cw.spoilerText, "cw");
  assert.equal(cw.sensitive, true);
  const reply = await b.v1.statuses.create({ status: "@alice a reply", inReplyToId: posted[4].id });
  assert.equal(reply.inReplyToId, posted[4].id);
  assert.equal(reply.inReplyToAccountId, me.id);
  const vis = {};
  for (const v of ["public", "unlisted", "private", "direct"]) {
    vis[v] = await a.v1.statuses.create({ status: `${v} post @bob`, visibility: v });
    assert.equal(vis[v].visibility, v, `visibility ${v}`);
  }

  step = "fetch status and context";
  const fetched = await b.v1.statuses.$select(posted[4].id).fetch();
  assert.equal(fetched.id, posted[4].id);
  assert.equal(fetched.repliesCount, 1, "reply counted");
  const ctx = await a.v1.statuses.$select(posted[4].id).context.fetch();
  assert.deepEqual(ctx.ancestors, []);
  assert.deepEqual(ctx.descendants.map((s) => s.id), [reply.id], "context descendants");
  const rctx = await a.v1.statuses.$select(reply.id).context.fetch();
  assert.deepEqual(rctx.ancestors.map((s) => s.id), [posted[4].id], "context ancestors");
  const many = await b.v1.statuses.fetch({ id: [posted[0].id, posted[1].id] });
  assert.deepEqual(many.map((s) => s.id).sort(), [posted[0].id, posted[1].id].sort(), "GET /statuses?id[]=");
  await rejects(anon.v1.statuses.$select(vis.private.id).fetch(), 404);

  step = "favourite / boost / bookmark / pin";
  const target = b.v1.statuses.$select(posted[3].id);
  let s = await target.favourite();
  assert.equal(s.favourited, true);
  assert.equal(s.favouritesCount, 1);
  const boost = await target.reblog({ visibility: "public" });
  assert.equal(boost.reblog.id, posted[3].id);
  assert.equal(boost.reblog.reblogged, true);
  s = await target.bookmark();
  assert.equal(s.bookmarked, true);
  const bookmarks = await b.v1.bookmarks.list();
  assert.deepEqual(bookmarks.map((x) => x.id), [posted[3].id], "bookmarks list");
  const favs = await b.v1.favourites.list();
  assert.deepEqual(favs.map((x) => x.id), [posted[3].id], "favourites list");
  const favBy = await a.v1.statuses.$select(posted[3].id).favouritedBy.list();
  assert.deepEqual(favBy.map((x) => x.id), [bob.id], "favourited_by");
  const boostBy = await a.v1.statuses.$select(posted[3].id).rebloggedBy.list();
  assert.deepEqual(boostBy.map((x) => x.id), [bob.id], "reblogged_by");
  s = await a.v1.statuses.$select(posted[2].id).pin();
  assert.equal(s.pinned, true);
  const pinned = await a.v1.accounts.$select(me.id).statuses.list({ pinned: true });
  assert.deepEqual(pinned.map((x) => x.id), [posted[2].id], "pinned statuses");
  s = await a.v1.statuses.$select(posted[2].id).unpin();
  assert.equal(s.pinned, false);
  const interactionNotes = await a.v1.notifications.list({ types: ["favourite", "reblog"] });
  assert.deepEqual(interactionNotes.map((n) => [n.type, n.account.id, n.status.id]), [
    ["reblog", bob.id, posted[3].id],
    ["favourite", bob.id, posted[3].id],
  ], "favourite and reblog notifications");
  s = await target.unfavourite();
  assert.equal(s.favourited, false);
  assert.equal(s.favouritesCount, 0);
  s = await target.unreblog();
  assert.equal(s.reblogged, false);
  s = await target.unbookmark();
  assert.equal(s.bookmarked, false);
  assert.deepEqual(await b.v1.bookmarks.list(), [], "bookmark removed");
  assert.deepEqual(await a.v1.notifications.list({ types: ["favourite", "reblog"] }), [], "undoing removes their notifications, as in Mastodon");

  step = "home timeline paginated";
  // Fan-out to followers runs in the background.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await b.v1.timelines.home.list({ limit: 40 })).length < 8) await sleep(50);
  const homePages = await allPages(b.v1.timelines.home.list({ limit: 2 }));
  const home = homePages.flat();
  assert.ok(homePages.length >= 4, `home is paged by limit=2 (got ${homePages.length} pages)`);
  assert.ok(homePages.every((p) => p.length <= 2), "pages respect limit");
  const homeIds = home.map((x) => x.id);
  assert.equal(new Set(homeIds).size, homeIds.length, "no status twice across pages");
  for (const p of posted) assert.ok(homeIds.includes(p.id), `home contains ${p.content}`);
  assert.ok(homeIds.includes(reply.id), "home contains bob's own reply");
  assert.ok(homeIds.includes(vis.private.id), "followers-only post reaches a follower");
  assert.deepEqual([...homeIds].sort((x, y) => (BigInt(y) > BigInt(x) ? 1 : -1)), homeIds, "newest first");
  // The prev direction from the newest page finds nothing newer.
  const newer = await b.v1.timelines.home.list({ limit: 2, sinceId: homeIds[0] });
  assert.deepEqual(newer, [], "nothing newer than the newest");

  step = "public and tag timelines";
  const pub = (await allPages(a.v1.timelines.public.list({ local: true, limit: 3 }))).flat();
  const pubIds = pub.map((x) => x.id);
  for (const p of posted) assert.ok(pubIds.includes(p.id), "public contains public posts");
  assert.ok(!pubIds.includes(vis.unlisted.id), "unlisted not on the public timeline");
  assert.ok(!pubIds.includes(vis.private.id), "private not on the public timeline");
  const tagPages = await allPages(anon.v1.timelines.tag.$select("mastojs").list({ limit: 2 }));
  assert.deepEqual(
    tagPages.flat().map((x) => x.id),
    [...posted].reverse().map((x) => x.id),
    "tag timeline, paged",
  );
  assert.equal(tagPages.length >= 3, true, "tag timeline needed 3 pages");
  const profile = (await allPages(b.v1.accounts.$select(me.id).statuses.list({ limit: 4, excludeReplies: true }))).flat();
  assert.ok(profile.some((x) => x.id === vis.private.id), "profile shows followers-only posts to a follower");
  assert.ok(profile.some((x) => x.id === vis.direct.id), "as in Mastodon, a direct post shows on the profile to whom it mentions");
  const anonProfile = (await allPages(anon.v1.accounts.$select(me.id).statuses.list({ limit: 40 }))).flat();
  assert.ok(!anonProfile.some((x) => ["private", "direct"].includes(x.visibility)), "anonymous profile: public/unlisted only");

  step = "notifications";
  const aNotes = await a.v1.notifications.list();
  const types = aNotes.map((n) => n.type);
  assert.deepEqual(types, ["mention", "follow"], "alice: bob's reply, bob's follow");
  const bNotes = (await allPages(b.v1.notifications.list({ limit: 3 }))).flat();
  assert.equal(bNotes.filter((n) => n.type === "mention").length, 9, "bob mentioned 9 times (5 + one per visibility)");
  const one = await b.v1.notifications.$select(bNotes[0].id).fetch();
  assert.equal(one.id, bNotes[0].id);
  assert.equal(one.status.id, bNotes[0].status.id);
  await b.v1.notifications.$select(bNotes[0].id).dismiss();
  await rejects(b.v1.notifications.$select(bNotes[0].id).fetch(), 404);
  const mentionsOnly = await a.v1.notifications.list({ types: ["mention"] });
  assert.deepEqual(mentionsOnly.map((n) => n.type), ["mention"], "types[] filter");
  const excluded = await a.v1.notifications.list({ excludeTypes: ["mention"] });
  assert.deepEqual(excluded.map((n) => n.type), ["follow"], "exclude_types[] filter");
  await b.v1.notifications.clear();
  assert.deepEqual(await b.v1.notifications.list(), [], "cleared");

  step = "markers";
  const marker = await a.v1.markers.create({ home: { lastReadId: posted[1].id }, notifications: { lastReadId: aNotes[0].id } });
  assert.equal(marker.home.lastReadId, posted[1].id);
  const markers = await a.v1.markers.fetch({ timeline: ["home", "notifications"] });
  assert.equal(markers.home.lastReadId, posted[1].id);
  assert.equal(markers.notifications.lastReadId, aNotes[0].id);
  assert.equal(typeof markers.home.version, "number");

  step = "search";
  const found = await a.v2.search.list({ q: "bob", type: "accounts" });
  assert.deepEqual(found.accounts.map((x) => x.acct), ["bob"], "account search");
  const tags = await a.v2.search.list({ q: "#mastojs", type: "hashtags" });
  assert.equal(tags.hashtags[0].name, "mastojs", "hashtag search");
  const accSearch = await a.v1.accounts.search.list({ q: "bo" });
  assert.deepEqual(accSearch.map((x) => x.acct), ["bob"], "accounts/search");

  step = "blocks and mutes";
  assert.deepEqual(await a.v1.blocks.list(), []);
  assert.deepEqual(await a.v1.mutes.list(), []);
  let r = await a.v1.accounts.$select(bob.id).mute({ notifications: true });
  assert.equal(r.muting, true);
  assert.equal(r.mutingNotifications, true);
  assert.deepEqual((await a.v1.mutes.list()).map((x) => x.id), [bob.id], "mutes list");
  r = await a.v1.accounts.$select(bob.id).unmute();
  assert.equal(r.muting, false);
  r = await a.v1.accounts.$select(bob.id).block();
  assert.equal(r.blocking, true);
  assert.equal(r.followedBy, false, "a block removes the follow");
  assert.deepEqual((await a.v1.blocks.list()).map((x) => x.id), [bob.id], "blocks list");
  r = await a.v1.accounts.$select(bob.id).unblock();
  assert.equal(r.blocking, false);
  assert.deepEqual(await a.v1.blocks.list(), []);

  step = "delete";
  const deleted = await a.v1.statuses.$select(posted[0].id).remove();
  assert.equal(deleted.id, posted[0].id);
  assert.equal(deleted.text, "masto 0 #mastojs @bob", "delete returns source text for redraft");
  await rejects(a.v1.statuses.$select(posted[0].id).fetch(), 404);
  const after = await a.v1.accounts.verifyCredentials();
  assert.equal(after.statusesCount, 5 + 1 + 3 - 1, "statuses_count follows deletes (direct posts are not counted, as in Mastodon)");

  step = "revoke";
  await oauth.revoke({ clientId: app.clientId, clientSecret: app.clientSecret, token: bToken.accessToken });
  await rejects(b.v1.accounts.verifyCredentials(), 401);

  console.log("ALL OK");
}

main().catch(fail);

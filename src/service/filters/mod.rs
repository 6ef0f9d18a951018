//! Filters (`methods/filters.md`): v2 filters with keywords and statuses, the v1 endpoints
//! mapped onto them as Mastodon does (a v1 filter is one keyword of a v2 filter whose title
//! is the phrase; `irreversible` is the `hide` action), and their application to statuses
//! ([`apply`]).

pub mod apply;

pub use apply::{Verdict, ViewerFilters, searchable_text};

use crate::api::entities::filters as entity;
use crate::db::filters::{self as repo, Filter, FilterStatus, Keyword};
use crate::db::{Db, accounts};
use crate::error::{AppError, AppResult};
use crate::id::next_id;
use crate::service::hydrate;
use crate::time::{now_ms, rfc3339};

/// Where a filter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Home and list timelines.
    Home,
    Notifications,
    /// Public and hashtag timelines.
    Public,
    /// A status's thread.
    Thread,
    /// A profile's statuses.
    Account,
}

impl Context {
    /// Every context, in Mastodon's order.
    pub const ALL: [Context; 5] = [
        Context::Home,
        Context::Notifications,
        Context::Public,
        Context::Thread,
        Context::Account,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Home => "home",
            Context::Notifications => "notifications",
            Context::Public => "public",
            Context::Thread => "thread",
            Context::Account => "account",
        }
    }

    /// The context of an API name.
    pub fn parse(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Valid `filter_action` values (`blur` since Mastodon 4.4: media hidden behind a warning).
pub const ACTIONS: &[&str] = &["warn", "hide", "blur"];
/// Filters per account.
pub const MAX_FILTERS: i64 = 300;
/// Keywords per filter.
pub const MAX_KEYWORDS: usize = 100;
/// Longest title or keyword accepted, in characters.
pub const MAX_TEXT: usize = 256;

/// The contexts stored on a filter row.
pub fn contexts_of(f: &Filter) -> Vec<Context> {
    serde_json::from_str::<Vec<String>>(&f.context)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Context::parse(c))
        .collect()
}

/// The `Filter` entity without its rules (as a `FilterResult` carries it).
pub fn entity_without_rules(f: &Filter) -> entity::Filter {
    entity::Filter {
        id: f.id.to_string(),
        title: f.title.clone(),
        context: contexts_of(f)
            .into_iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        expires_at: f.expires_at.map(rfc3339),
        filter_action: f.action.clone(),
        keywords: None,
        statuses: None,
    }
}

/// The `FilterKeyword` entity.
pub fn keyword_entity(k: &Keyword) -> entity::FilterKeyword {
    entity::FilterKeyword {
        id: k.id.to_string(),
        keyword: k.keyword.clone(),
        whole_word: k.whole_word,
    }
}

/// The `FilterStatus` entity.
pub fn status_entity(s: &FilterStatus) -> entity::FilterStatus {
    entity::FilterStatus {
        id: s.id.to_string(),
        status_id: s.status_id.to_string(),
    }
}

/// A filter with its keywords and statuses.
#[derive(Debug, Clone)]
pub struct FullFilter {
    pub filter: Filter,
    pub keywords: Vec<Keyword>,
    pub statuses: Vec<FilterStatus>,
}

impl FullFilter {
    /// The complete `Filter` entity.
    pub fn entity(&self) -> entity::Filter {
        entity::Filter {
            keywords: Some(self.keywords.iter().map(keyword_entity).collect()),
            statuses: Some(self.statuses.iter().map(status_entity).collect()),
            ..entity_without_rules(&self.filter)
        }
    }

    /// The v1 `Filter` entity of one of its keywords.
    pub fn v1(&self, k: &Keyword) -> entity::FilterV1 {
        let e = entity_without_rules(&self.filter);
        entity::FilterV1 {
            id: k.id.to_string(),
            phrase: k.keyword.clone(),
            context: e.context,
            whole_word: k.whole_word,
            expires_at: e.expires_at,
            irreversible: self.filter.action == "hide",
        }
    }
}

/// A keyword of `keywords_attributes[]`: without `id` a new one; with `id` a change, or a
/// removal with `_destroy`.
#[derive(Debug, Clone, Default)]
pub struct KeywordInput {
    pub id: Option<i64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// The fields of a filter; `None` keeps the current value. `expires_in`: `Some(None)` never
/// expires, `Some(Some(s))` expires in `s` seconds.
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub action: Option<String>,
    pub expires_in: Option<Option<i64>>,
    pub keywords: Vec<KeywordInput>,
}

fn invalid(msg: &str) -> AppError {
    AppError::unprocessable(format!("Validation failed: {msg}"))
}

/// A keyword's text, validated.
fn keyword_text(k: &str) -> AppResult<String> {
    let k = k.trim();
    if k.is_empty() {
        return Err(invalid("Keyword can't be blank"));
    }
    if k.chars().count() > MAX_TEXT {
        return Err(invalid("Keyword is too long"));
    }
    Ok(k.to_owned())
}

/// Applies the filter fields of `input` to `f`, validating as Mastodon does.
fn apply_fields(f: &mut Filter, input: &FilterInput, now: i64) -> AppResult<()> {
    if let Some(title) = &input.title {
        f.title = title.trim().to_owned();
    }
    if f.title.is_empty() {
        return Err(invalid("Title can't be blank"));
    }
    if f.title.chars().count() > MAX_TEXT {
        return Err(invalid("Title is too long"));
    }
    if let Some(context) = &input.context {
        let mut parsed = Vec::new();
        for c in context {
            let c = Context::parse(c.trim())
                .ok_or_else(|| invalid("Context None or invalid context supplied"))?;
            if !parsed.contains(&c) {
                parsed.push(c);
            }
        }
        let names: Vec<&str> = parsed.iter().map(|c| c.as_str()).collect();
        f.context = serde_json::to_string(&names).expect("strings serialise");
    }
    if contexts_of(f).is_empty() {
        return Err(invalid("Context can't be blank"));
    }
    if let Some(action) = &input.action {
        if !ACTIONS.contains(&action.as_str()) {
            return Err(invalid("Filter action is not included in the list"));
        }
        f.action = action.clone();
    }
    if let Some(expires_in) = input.expires_in {
        f.expires_at = match expires_in {
            None => None,
            Some(s) if s < 0 => return Err(invalid("Expires in must be positive")),
            Some(s) => Some(now.saturating_add(s.saturating_mul(1000))),
        };
    }
    Ok(())
}

/// Loads `owner`'s filter `id` with its rules (404 for anyone else's).
async fn full(c: crate::db::Conn<'_>, owner: i64, id: i64) -> AppResult<FullFilter> {
    let mut c = c;
    let filter = repo::get_owned(c.re(), owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let keywords = repo::keywords_of(c.re(), &[id]).await?;
    let statuses = repo::statuses_of(c.re(), &[id]).await?;
    Ok(FullFilter {
        filter,
        keywords,
        statuses,
    })
}

/// `owner`'s filters with their rules, oldest first (expired ones included, as Mastodon).
pub async fn list(db: &Db, owner: i64) -> AppResult<Vec<FullFilter>> {
    let mut h = db.read().await?;
    let filters = repo::of_owner(h.conn(), owner, None).await?;
    let ids: Vec<i64> = filters.iter().map(|f| f.id).collect();
    let keywords = repo::keywords_of(h.conn(), &ids).await?;
    let statuses = repo::statuses_of(h.conn(), &ids).await?;
    Ok(filters
        .into_iter()
        .map(|filter| FullFilter {
            keywords: keywords
                .iter()
                .filter(|k| k.filter_id == filter.id)
                .cloned()
                .collect(),
            statuses: statuses
                .iter()
                .filter(|s| s.filter_id == filter.id)
                .cloned()
                .collect(),
            filter,
        })
        .collect())
}

/// `owner`'s filter `id`.
pub async fn get(db: &Db, owner: i64, id: i64) -> AppResult<FullFilter> {
    let mut h = db.read().await?;
    full(h.conn(), owner, id).await
}

/// Creates a filter with its keywords.
pub async fn create(db: &Db, owner: i64, input: FilterInput) -> AppResult<FullFilter> {
    let now = now_ms();
    let mut f = Filter {
        id: next_id(),
        account_id: owner,
        title: String::new(),
        context: "[]".into(),
        action: "warn".into(),
        expires_at: None,
        created_at: now,
        updated_at: now,
    };
    apply_fields(&mut f, &input, now)?;
    let mut new_keywords = Vec::new();
    for k in input
        .keywords
        .iter()
        .filter(|k| !k.destroy && k.id.is_none())
    {
        new_keywords.push((
            keyword_text(k.keyword.as_deref().unwrap_or(""))?,
            k.whole_word.unwrap_or(true),
        ));
    }
    if new_keywords.len() > MAX_KEYWORDS {
        return Err(invalid("Too many keywords"));
    }
    let mut tx = db.begin().await?;
    accounts::lock_rows(tx.conn(), &[owner]).await?;
    if repo::count_of_owner(tx.conn(), owner).await? >= MAX_FILTERS {
        return Err(invalid("You have reached the maximum number of filters"));
    }
    repo::insert(tx.conn(), &f).await?;
    for (keyword, whole_word) in new_keywords {
        repo::insert_keyword(
            tx.conn(),
            &Keyword {
                id: next_id(),
                filter_id: f.id,
                keyword,
                whole_word,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    let out = full(tx.conn(), owner, f.id).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(out)
}

/// Changes a filter and, through `keywords_attributes`, its keywords (ids of other filters'
/// keywords are 404).
pub async fn update(db: &Db, owner: i64, id: i64, input: FilterInput) -> AppResult<FullFilter> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let mut current = full(tx.conn(), owner, id).await?;
    apply_fields(&mut current.filter, &input, now)?;
    current.filter.updated_at = now;
    repo::update(tx.conn(), &current.filter).await?;
    let mut count = current.keywords.len();
    for k in &input.keywords {
        match k.id {
            Some(kid) => {
                let Some(existing) = current.keywords.iter().find(|e| e.id == kid) else {
                    return Err(AppError::NotFound);
                };
                if k.destroy {
                    repo::delete_keyword(tx.conn(), kid).await?;
                    count -= 1;
                } else {
                    let mut changed = existing.clone();
                    if let Some(text) = &k.keyword {
                        changed.keyword = keyword_text(text)?;
                    }
                    if let Some(w) = k.whole_word {
                        changed.whole_word = w;
                    }
                    changed.updated_at = now;
                    repo::update_keyword(tx.conn(), &changed).await?;
                }
            }
            None if k.destroy => {}
            None => {
                count += 1;
                if count > MAX_KEYWORDS {
                    return Err(invalid("Too many keywords"));
                }
                repo::insert_keyword(
                    tx.conn(),
                    &Keyword {
                        id: next_id(),
                        filter_id: id,
                        keyword: keyword_text(k.keyword.as_deref().unwrap_or(""))?,
                        whole_word: k.whole_word.unwrap_or(true),
                        created_at: now,
                        updated_at: now,
                    },
                )
                .await?;
            }
        }
    }
    let out = full(tx.conn(), owner, id).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(out)
}

/// Deletes `owner`'s filter `id`.
pub async fn delete(db: &Db, owner: i64, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    full(tx.conn(), owner, id).await?;
    repo::delete(tx.conn(), id).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(())
}

/// Adds a keyword to `owner`'s filter `filter_id`.
pub async fn add_keyword(
    db: &Db,
    owner: i64,
    filter_id: i64,
    keyword: &str,
    whole_word: bool,
) -> AppResult<Keyword> {
    let now = now_ms();
    let keyword = keyword_text(keyword)?;
    let mut tx = db.begin().await?;
    let current = full(tx.conn(), owner, filter_id).await?;
    if current.keywords.len() >= MAX_KEYWORDS {
        return Err(invalid("Too many keywords"));
    }
    let k = Keyword {
        id: next_id(),
        filter_id,
        keyword,
        whole_word,
        created_at: now,
        updated_at: now,
    };
    repo::insert_keyword(tx.conn(), &k).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(k)
}

/// `owner`'s keyword `id` (404 for anyone else's).
pub async fn keyword(db: &Db, owner: i64, id: i64) -> AppResult<Keyword> {
    let mut h = db.read().await?;
    repo::keyword_owned(h.conn(), owner, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes `owner`'s keyword `id`.
pub async fn update_keyword(
    db: &Db,
    owner: i64,
    id: i64,
    keyword: Option<&str>,
    whole_word: Option<bool>,
) -> AppResult<Keyword> {
    let mut tx = db.begin().await?;
    let mut k = repo::keyword_owned(tx.conn(), owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(text) = keyword {
        k.keyword = keyword_text(text)?;
    }
    if let Some(w) = whole_word {
        k.whole_word = w;
    }
    k.updated_at = now_ms();
    repo::update_keyword(tx.conn(), &k).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(k)
}

/// Deletes `owner`'s keyword `id`.
pub async fn delete_keyword(db: &Db, owner: i64, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    repo::keyword_owned(tx.conn(), owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    repo::delete_keyword(tx.conn(), id).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(())
}

/// Adds status `status_id` (which `owner` must be able to see) to `owner`'s filter.
pub async fn add_status(
    db: &Db,
    owner: i64,
    filter_id: i64,
    status_id: Option<i64>,
) -> AppResult<FilterStatus> {
    let mut tx = db.begin().await?;
    full(tx.conn(), owner, filter_id).await?;
    let Some(status_id) = status_id else {
        return Err(invalid("Status must exist"));
    };
    if hydrate::visible_status(tx.conn(), Some(owner), status_id)
        .await?
        .is_none()
    {
        return Err(invalid("Status must exist"));
    }
    let s = FilterStatus {
        id: next_id(),
        filter_id,
        status_id,
        created_at: now_ms(),
    };
    if !repo::insert_status(tx.conn(), &s).await? {
        return Err(invalid("Status has already been taken"));
    }
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(s)
}

/// `owner`'s filter status `id` (404 for anyone else's).
pub async fn status(db: &Db, owner: i64, id: i64) -> AppResult<FilterStatus> {
    let mut h = db.read().await?;
    repo::status_owned(h.conn(), owner, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Deletes `owner`'s filter status `id`.
pub async fn delete_status(db: &Db, owner: i64, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    repo::status_owned(tx.conn(), owner, id)
        .await?
        .ok_or(AppError::NotFound)?;
    repo::delete_status(tx.conn(), id).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(())
}

/// The parameters of the v1 endpoints; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct V1Input {
    pub phrase: Option<String>,
    pub context: Option<Vec<String>>,
    pub irreversible: Option<bool>,
    pub whole_word: Option<bool>,
    pub expires_in: Option<Option<i64>>,
}

impl V1Input {
    fn filter_input(&self) -> FilterInput {
        FilterInput {
            title: None,
            context: self.context.clone(),
            action: self
                .irreversible
                .map(|i| if i { "hide" } else { "warn" }.to_owned()),
            expires_in: self.expires_in,
            keywords: Vec::new(),
        }
    }
}

/// `owner`'s v1 filters: every keyword, with its filter.
pub async fn list_v1(db: &Db, owner: i64) -> AppResult<Vec<entity::FilterV1>> {
    Ok(list(db, owner)
        .await?
        .iter()
        .flat_map(|f| f.keywords.iter().map(|k| f.v1(k)).collect::<Vec<_>>())
        .collect())
}

/// The v1 filter `keyword_id` of `owner`, with its filter.
pub async fn get_v1(db: &Db, owner: i64, keyword_id: i64) -> AppResult<entity::FilterV1> {
    let k = keyword(db, owner, keyword_id).await?;
    let f = get(db, owner, k.filter_id).await?;
    Ok(f.v1(&k))
}

/// `POST /api/v1/filters`: a v2 filter titled with the phrase, with one keyword.
pub async fn create_v1(db: &Db, owner: i64, input: V1Input) -> AppResult<entity::FilterV1> {
    let phrase = input.phrase.clone().unwrap_or_default();
    let mut fi = input.filter_input();
    fi.title = Some(phrase.clone());
    fi.keywords = vec![KeywordInput {
        keyword: Some(phrase),
        whole_word: Some(input.whole_word.unwrap_or(true)),
        ..Default::default()
    }];
    let f = create(db, owner, fi).await?;
    let k = f.keywords.first().ok_or(AppError::NotFound)?;
    Ok(f.v1(k))
}

/// `PUT /api/v1/filters/:id`: changes the keyword and its filter. Like Mastodon, a filter
/// with several keywords cannot change its context, action or expiry through v1 (422).
pub async fn update_v1(
    db: &Db,
    owner: i64,
    keyword_id: i64,
    input: V1Input,
) -> AppResult<entity::FilterV1> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let mut k = repo::keyword_owned(tx.conn(), owner, keyword_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut current = full(tx.conn(), owner, k.filter_id).await?;
    let fi = input.filter_input();
    let changes_filter = fi.context.is_some() || fi.action.is_some() || fi.expires_in.is_some();
    if changes_filter && current.keywords.len() > 1 {
        return Err(AppError::unprocessable(
            "Cannot change context, irreversibility or expiry of a filter with several keywords",
        ));
    }
    if let Some(phrase) = &input.phrase {
        k.keyword = keyword_text(phrase)?;
    }
    if let Some(w) = input.whole_word {
        k.whole_word = w;
    }
    k.updated_at = now;
    apply_fields(&mut current.filter, &fi, now)?;
    current.filter.updated_at = now;
    repo::update(tx.conn(), &current.filter).await?;
    repo::update_keyword(tx.conn(), &k).await?;
    let f = full(tx.conn(), owner, k.filter_id).await?;
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(f.v1(&k))
}

/// `DELETE /api/v1/filters/:id`: removes the keyword, and its filter when nothing is left.
pub async fn delete_v1(db: &Db, owner: i64, keyword_id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let k = repo::keyword_owned(tx.conn(), owner, keyword_id)
        .await?
        .ok_or(AppError::NotFound)?;
    repo::delete_keyword(tx.conn(), keyword_id).await?;
    let rest = full(tx.conn(), owner, k.filter_id).await?;
    if rest.keywords.is_empty() && rest.statuses.is_empty() {
        repo::delete(tx.conn(), k.filter_id).await?;
    }
    crate::service::live::filters_changed(owner);
    tx.commit().await?;
    Ok(())
}

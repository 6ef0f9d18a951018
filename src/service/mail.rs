//! Outgoing e-mail over SMTP (`smtp_url`). A request that promises a mail enqueues a durable
//! job ([`crate::jobs::Job::SendConfirmation`]) in its own transaction, so no request waits for
//! the mail server and a crash or an unreachable server delays the mail instead of losing it
//! (the job is retried with backoff).

use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::db::{accounts, oauth};
use crate::service::accounts::new_confirmation_token;
use crate::state::AppState;
use crate::time::now_ms;

/// How long one delivery attempt may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// An e-mail to send.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// The link that confirms an e-mail address.
pub fn confirmation_link(cfg: &Config, token: &str) -> String {
    let mut url = format!("{}/auth/confirmation?", cfg.url);
    url.push_str(
        &form_urlencoded::Serializer::new(String::new())
            .append_pair("confirmation_token", token)
            .finish(),
    );
    url
}

/// The confirmation e-mail for a new (or changed) address.
pub fn confirmation_mail(cfg: &Config, to: &str, username: &str, token: &str) -> Mail {
    let link = confirmation_link(cfg, token);
    Mail {
        to: to.to_owned(),
        subject: format!("{}: confirm your e-mail address", cfg.title),
        body: format!(
            "Hello @{username},\n\n\
             Someone (hopefully you) created an account on {title} ({url}) with this e-mail \
             address. To confirm it, open this link:\n\n{link}\n\n\
             If this was not you, ignore this message.\n",
            title = cfg.title,
            url = cfg.url,
        ),
    }
}

/// Sends the confirmation e-mail for a user's current address with a fresh link (the job
/// behind [`crate::jobs::Job::SendConfirmation`]). Each attempt stores a new token digest
/// before sending, so a retried job never mails a link that does not work. Nothing is sent
/// once the address is confirmed, or when the user is gone.
pub async fn send_confirmation(state: &AppState, user_id: i64) -> anyhow::Result<()> {
    let cfg = &state.config;
    if !cfg.email_confirmation_required() {
        tracing::warn!(
            user_id,
            "confirmation e-mail not sent: no SMTP server is configured"
        );
        return Ok(());
    }
    let mut tx = state.db.begin().await?;
    let Some(user) = accounts::get_user(tx.conn(), user_id).await? else {
        return Ok(());
    };
    if user.confirmed_at.is_some() {
        return Ok(());
    }
    let Some(account) = accounts::get(tx.conn(), user.account_id).await? else {
        return Ok(());
    };
    let (token, digest) = new_confirmation_token();
    oauth::set_confirmation_token(tx.conn(), user_id, &digest, now_ms()).await?;
    tx.commit().await?;
    let mail = confirmation_mail(cfg, &user.email, &account.username, &token);
    send(cfg, &mail).await?;
    tracing::info!(user_id, subject = %mail.subject, "confirmation e-mail sent");
    Ok(())
}

/// Sends `mail` through the configured SMTP server.
pub async fn send(cfg: &Config, mail: &Mail) -> anyhow::Result<()> {
    anyhow::ensure!(!cfg.smtp_url.is_empty(), "no SMTP server configured");
    let from_text = cfg.mail_from();
    let from: Mailbox = if cfg.smtp_from.is_empty() {
        Mailbox::new(
            Some(cfg.title.clone()),
            from_text.parse().context("sender address")?,
        )
    } else {
        from_text.parse().context("invalid smtp_from")?
    };
    let message = Message::builder()
        .from(from)
        .to(mail.to.parse().context("recipient address")?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .context("building the message")?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.smtp_url)
        .context("invalid smtp_url")?
        .timeout(Some(SMTP_TIMEOUT))
        .build();
    transport
        .send(message)
        .await
        .context("SMTP delivery")
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_mail_carries_the_link() {
        let cfg = Config::default();
        let m = confirmation_mail(&cfg, "a@b.example", "alice", "t0k+n");
        assert!(
            m.body
                .contains("http://localhost:3000/auth/confirmation?confirmation_token=t0k%2Bn")
        );
        assert!(m.body.contains("@alice"));
    }
}

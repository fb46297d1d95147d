//! What every page shares: the person and language ([`Ctx`]), rendering
//! with the security headers, and refusals and errors as pages.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use ebr_db::repo::preferences;
use ebr_domain::identity::Role;
use ebr_domain::signature::{components_required, Components};

use crate::auth::current::Authenticated;
use crate::auth::session::COOKIE;
use crate::blocking;
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::csrf;
use crate::ui::i18n::{catalog, Catalog, Lang};

/// The logged-in person as the pages show them.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Person id (drafts typed in a form are kept per person).
    pub id: String,
    /// Printed name.
    pub name: String,
    /// Username.
    pub username: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// The next signature needs the username too (R16, R19).
    pub needs_username: bool,
}

/// The context every page template receives.
pub struct Ctx {
    /// The page language.
    pub lang: Lang,
    /// Its catalogue.
    pub catalog: &'static Catalog,
    /// The logged-in person (none on the login page).
    pub viewer: Option<Viewer>,
    /// The CSRF token the page's script sends with every change.
    pub csrf: String,
    /// Seconds until the session ends without a request (the page then
    /// keeps what was typed and goes to the login).
    pub idle_seconds: u64,
    /// Whether a signature asks for the authenticator code too.
    pub second_factor: bool,
    /// Whether the login asks for it (from people who enrolled one).
    pub login_code: bool,
}

fn browser_lang(req: &HttpRequest) -> Lang {
    if let Some(lang) = req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("lang="))
        .and_then(Lang::parse)
    {
        return lang;
    }
    Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn here(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    }
}

impl Ctx {
    /// The context of a page without a session (the login page).
    pub fn anonymous(req: &HttpRequest, state: &AppState) -> Ctx {
        let lang = browser_lang(req);
        Ctx {
            lang,
            catalog: catalog(lang),
            viewer: None,
            csrf: csrf::token_for(req.cookie(COOKIE).as_ref().map(|c| c.value())),
            idle_seconds: u64::from(state.security.idle_timeout_minutes) * 60,
            second_factor: state.security.second_factor.at_signing(),
            login_code: state.security.second_factor.at_login(),
        }
    }

    /// The context of a page for the session's person, in the language
    /// they chose (or their browser's until they choose).
    pub async fn new(req: &HttpRequest, state: &AppState, who: &Authenticated) -> Ctx {
        let id = who.person.person.id;
        let chosen = blocking::db(&state.pool, move |conn| preferences::language(conn, id))
            .await
            .ok()
            .flatten()
            .and_then(|code| Lang::parse(&code));
        let lang = chosen.unwrap_or_else(|| browser_lang(req));
        let person = &who.person;
        let mut ctx = Ctx::anonymous(req, state);
        ctx.lang = lang;
        ctx.catalog = catalog(lang);
        ctx.viewer = Some(Viewer {
            id: id.to_string(),
            name: person.person.full_name.clone(),
            username: person.person.username.clone(),
            roles: person.roles.clone(),
            needs_username: components_required(who.continuous_signing)
                == Components::UsernameAndPassword,
        });
        ctx
    }

    /// The message for `key` in the page language.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.catalog.get(key)
    }

    /// The message for `prefix` + `code` (e.g. a status or a rule code),
    /// falling back to the code itself.
    pub fn tr<'a>(&'a self, prefix: &str, code: &'a str) -> &'a str {
        self.catalog
            .lookup(&format!("{prefix}{code}"))
            .unwrap_or(code)
    }

    /// The message for `key` with `{name}` placeholders filled.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.catalog.get(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// [`Ctx::tf`] with one placeholder.
    pub fn tf1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.tf(key, &[(name, &value.to_string())])
    }

    /// [`Ctx::tf`] with two placeholders.
    pub fn tf2(
        &self,
        key: &str,
        name: &str,
        value: impl std::fmt::Display,
        name2: &str,
        value2: impl std::fmt::Display,
    ) -> String {
        self.tf(
            key,
            &[(name, &value.to_string()), (name2, &value2.to_string())],
        )
    }

    /// The messages the page script needs, as JSON.
    pub fn messages(&self) -> String {
        self.catalog.client_json()
    }

    /// The language code for the `lang` attribute.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// Whether the viewer holds `role` (by its code, e.g. `operator`).
    pub fn has(&self, role: &str) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.roles.iter().any(|r| r.as_str() == role))
    }

    /// Whether the viewer holds any GMP role (reads batches and MBRs).
    pub fn gmp(&self) -> bool {
        self.viewer.as_ref().is_some_and(|v| {
            v.roles
                .iter()
                .any(|r| !matches!(r, Role::Admin | Role::Trainer))
        })
    }

    /// Whether the next signature needs the username as well.
    pub fn needs_username(&self) -> bool {
        self.viewer.as_ref().is_some_and(|v| v.needs_username)
    }

    /// The viewer's id, or empty.
    pub fn person_id(&self) -> &str {
        self.viewer.as_ref().map_or("", |v| v.id.as_str())
    }

    /// Every language, for the language menu.
    pub fn languages(&self) -> [Lang; 2] {
        Lang::ALL
    }

    /// A UTC timestamp shortened for tables (`2026-11-25 08:00:00 UTC`); the
    /// zone is always shown (R12).
    pub fn when(&self, rfc3339: &str) -> String {
        short_utc(rfc3339)
    }
}

/// A time in the sentences of the chain-of-identity and shipment pages, to
/// the minute: `2026-11-25 08:00 UTC`.
pub fn minute_utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `2026-11-25T08:00:00.000000Z` → `2026-11-25 08:00:00 UTC`.
pub fn short_utc(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) if rfc3339.len() >= 19 => format!("{} UTC", head.replace('T', " ")),
        _ => rfc3339.to_string(),
    }
}

/// Renders a template as a page: HTML, never cached (batch data), not
/// framable, scripts and styles only from ebr itself.
pub fn render(template: &impl Template) -> Result<HttpResponse, ApiError> {
    let body = template
        .render()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(html(StatusCode::OK, body))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .body(body)
}

/// A redirect that the browser follows with a GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Percent-encodes a path and query for a `next=` parameter.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: &'a Ctx,
    status: u16,
    code: &'a str,
    message: String,
}

/// The answer of a page route whose session or role rule refused: the login
/// (keeping where the person was), the password change, or a page naming the
/// rule in the person's browser language.
pub fn refusal(req: &HttpRequest, error: &ApiError) -> HttpResponse {
    let code = error.code();
    match error.status_code().as_u16() {
        401 => {
            let expired = if code == "session_expired" {
                "&expired=1"
            } else {
                ""
            };
            see_other(&format!(
                "/login?next={}{expired}",
                encode_component(&here(req))
            ))
        }
        403 if code == "password_change_required" => see_other("/account"),
        _ => {
            let lang = browser_lang(req);
            error_page(req, lang, error)
        }
    }
}

/// An error as a page in `lang`: the rule's message from the catalogue
/// (`error.<code>`), or the error's own sentence.
pub fn error_page(req: &HttpRequest, lang: Lang, error: &ApiError) -> HttpResponse {
    let status = error.status_code();
    if status.is_server_error() {
        tracing::error!(error = ?error, path = %req.path(), "page failed");
    }
    let catalog = catalog(lang);
    let code = error.code();
    let key = format!("error.{code}");
    let message = if let Some(text) = catalog.lookup(&key) {
        text.to_string()
    } else if status.is_server_error() {
        catalog.get("error.internal").to_string()
    } else {
        error.to_string()
    };
    let ctx = Ctx {
        lang,
        catalog,
        viewer: None,
        csrf: String::new(),
        idle_seconds: 0,
        second_factor: false,
        login_code: false,
    };
    let page = ErrorPage {
        ctx: &ctx,
        status: status.as_u16(),
        code,
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{} {code}", status.as_u16()));
    html(status, body)
}

/// Builds a page for the session's person: their context, then `build`
/// with it; an error `build` returns becomes a page in their language.
pub async fn page(
    req: &HttpRequest,
    state: &AppState,
    who: &Authenticated,
    build: impl AsyncFnOnce(&Ctx) -> Result<HttpResponse, ApiError>,
) -> HttpResponse {
    let ctx = Ctx::new(req, state, who).await;
    let result = build(&ctx).await;
    ctx.finish(req, result)
}

impl Ctx {
    /// Finishes a page: the rendered page, or the error as a page in this
    /// context's language (a session that ended meanwhile goes to the login).
    pub fn finish(
        &self,
        req: &HttpRequest,
        result: Result<HttpResponse, ApiError>,
    ) -> HttpResponse {
        match result {
            Ok(response) => response,
            Err(e @ ApiError::Unauthorized { .. }) => refusal(req, &e),
            Err(e) => error_page(req, self.lang, &e),
        }
    }
}

//! The chain of identity on one page (R47): search by vial serial, trial
//! subject or donor DIN and read the chain from donor to recipient, or from
//! a donor down to every recipient; QA registers donors, records and signs
//! eligibility determinations and cell-bank decisions here; and the
//! storage map of one box.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_db::repo::custody::{bank, chain, storage};
use ebr_db::DbError;
use ebr_domain::isbt128::Din;
use ebr_domain::signature::SignatureManifest;
use serde::Deserialize;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::state::AppState;
use crate::ui::page::{minute_utc, page, render, Ctx};

/// One link of a chain as the page prints it.
pub struct Link {
    /// Indentation (0: top).
    pub level: usize,
    /// What it is (catalogue key under `chain_kind.`).
    pub kind: &'static str,
    /// Its identifier.
    pub value: String,
    /// Facts about it (status, signatures, place), in the page language.
    pub note: String,
    /// Where to read more.
    pub href: Option<String>,
}

/// A signature in words: who and when.
fn sig(s: &SignatureManifest) -> String {
    format!("{} {}", s.printed_name, minute_utc(s.signed_at))
}

fn eye(din: &str) -> String {
    Din::parse_keyed(din).map_or(din.to_string(), |d| d.eye_readable())
}

/// The current signed state of a determination or decision, in words.
fn signed_state(
    ctx: &Ctx,
    prefix: &str,
    code: Option<&str>,
    s: Option<&SignatureManifest>,
) -> String {
    match (code, s) {
        (Some(code), Some(s)) => format!(
            "{} — {} {}",
            ctx.tr(prefix, code),
            ctx.t("chain.signed_by"),
            sig(s)
        ),
        _ => ctx.t("chain.not_signed").to_string(),
    }
}

fn vial_links(ctx: &Ctx, c: &chain::VialChain) -> Vec<Link> {
    let q = &c.qualification;
    let mut out = Vec::new();
    if let Some(l) = &q.lineage {
        out.push(Link {
            level: 0,
            kind: "donor",
            value: eye(&l.donor_id),
            note: signed_state(
                ctx,
                "eligibility.",
                q.eligibility
                    .as_ref()
                    .map(|(r, _)| r.determination.as_str()),
                q.eligibility.as_ref().map(|(_, s)| s),
            ),
            href: Some(format!("/chain?q={}", l.donor_id)),
        });
        out.push(Link {
            level: 0,
            kind: "ipsc_line",
            value: l.ipsc_line.clone(),
            note: String::new(),
            href: None,
        });
        out.push(Link {
            level: 0,
            kind: "mcb",
            value: l.mcb_lot.clone(),
            note: signed_state(
                ctx,
                "bank_decision.",
                q.mcb.as_ref().map(|(r, _)| r.decision.as_str()),
                q.mcb.as_ref().map(|(_, s)| s),
            ),
            href: None,
        });
    }
    out.push(Link {
        level: 0,
        kind: "wcb",
        value: format!("{} / {}", c.lineage.wcb_lot, c.lineage.wcb_vial),
        note: signed_state(
            ctx,
            "bank_decision.",
            q.wcb.as_ref().map(|(r, _)| r.decision.as_str()),
            q.wcb.as_ref().map(|(_, s)| s),
        ),
        href: None,
    });
    out.push(Link {
        level: 0,
        kind: "batch",
        value: c.lineage.batch_number.clone(),
        note: ctx.tr("status.", &c.lineage.batch_status).to_string(),
        href: Some(format!("/batches/{}", c.lineage.batch_id)),
    });
    let mut vial_note = Vec::new();
    if let Some(l) = &c.label {
        vial_note.push(format!(
            "{} {} ✓",
            ctx.t("labels.number"),
            l.label.label_number
        ));
    }
    if let Some(s) = &c.storage {
        vial_note.push(match &s.stored_at {
            Some(at) => at.clone(),
            None => ctx.tr("storage_state.", &s.state).to_string(),
        });
    }
    out.push(Link {
        level: 0,
        kind: "vial",
        value: c.lineage.serial.clone(),
        note: vial_note.join(" · "),
        href: c
            .storage
            .as_ref()
            .and_then(|s| s.stored_at.as_ref())
            .and_then(|at| at.split(':').next())
            .map(|b| format!("/storage/{b}")),
    });
    if let Some(s) = &c.shipment {
        let signed: Vec<String> = s
            .events
            .iter()
            .flat_map(|(e, g)| {
                g.iter()
                    .map(move |x| format!("{} {}", ctx.tr("shipment_event.", &e.kind), sig(x)))
            })
            .collect();
        out.push(Link {
            level: 0,
            kind: "shipment",
            value: s.shipment.shipment_number.clone(),
            note: format!(
                "{} → {} — {} — {}",
                s.shipment.from_site,
                s.shipment.to_site,
                ctx.tr("shipment_status.", s.status.as_str()),
                signed.join("; ")
            ),
            href: Some("/shipments".into()),
        });
    }
    if let Some(a) = &c.administration {
        out.push(Link {
            level: 0,
            kind: "subject",
            value: a.subject_id.clone(),
            note: format!("{} — {}", a.site, minute_utc(a.administered_at)),
            href: Some(format!("/chain?q={}", a.subject_id)),
        });
    }
    out
}

fn donor_links(ctx: &Ctx, d: &chain::DonorChain) -> Vec<Link> {
    let current = bank::newest_signed(&d.determinations);
    let mut out = vec![Link {
        level: 0,
        kind: "donor",
        value: eye(&d.donor.din),
        note: signed_state(
            ctx,
            "eligibility.",
            current.as_ref().map(|(r, _)| r.determination.as_str()),
            current.as_ref().map(|(_, s)| s),
        ),
        href: None,
    }];
    for lot in &d.lots {
        out.push(Link {
            level: 1,
            kind: "wcb",
            value: lot.wcb_lot.clone(),
            note: format!("{} · MCB {}", lot.lineage.ipsc_line, lot.lineage.mcb_lot),
            href: None,
        });
        for b in &lot.batches {
            out.push(Link {
                level: 2,
                kind: "batch",
                value: b.batch_number.clone(),
                note: format!(
                    "{} — {} {}",
                    ctx.tr("status.", &b.status),
                    b.vials.len(),
                    ctx.t("chain.vials")
                ),
                href: Some(format!("/batches/{}", b.batch_id)),
            });
            for (serial, a) in lot.recipients.iter().filter(|(s, _)| b.vials.contains(s)) {
                out.push(Link {
                    level: 3,
                    kind: "subject",
                    value: a.subject_id.clone(),
                    note: format!("{serial} — {} — {}", a.site, minute_utc(a.administered_at)),
                    href: Some(format!("/chain?q={serial}")),
                });
            }
        }
    }
    out
}

/// A donor as the page lists it.
pub struct DonorRow {
    /// Id.
    pub id: String,
    /// DIN as keyed (for the search link).
    pub keyed: String,
    /// DIN as printed on labels.
    pub eye: String,
    /// Current signed determination, in words.
    pub eligibility: String,
    /// Determinations not signed yet: id and determination code.
    pub unsigned: Vec<(String, String)>,
}

/// A cell-bank decision as the page lists it.
pub struct DecisionRow {
    /// Id.
    pub id: String,
    /// mcb or wcb.
    pub level: String,
    /// Lot.
    pub lot_number: String,
    /// released or rejected.
    pub decision: String,
    /// Who signed it and when, if signed.
    pub signed: Option<String>,
}

#[derive(Template)]
#[template(path = "chain.html")]
struct ChainPage<'a> {
    ctx: &'a Ctx,
    q: String,
    chains: Vec<Vec<Link>>,
    searched: bool,
    donors: Vec<DonorRow>,
    decisions: Vec<DecisionRow>,
}

/// The search.
#[derive(Debug, Deserialize)]
pub struct ChainQuery {
    /// A vial serial, subject ID or donor DIN.
    #[serde(default)]
    pub q: Option<String>,
}

/// A donor's determinations, each with its signatures.
type Determinations = Vec<(bank::EligibilityRow, Vec<SignatureManifest>)>;

/// What the page reads, before words are put on it.
struct Loaded {
    vials: Vec<chain::VialChain>,
    donor_chains: Vec<chain::DonorChain>,
    donors: Vec<(bank::DonorRow, Determinations)>,
    decisions: Vec<(bank::BankReleaseRow, Vec<SignatureManifest>)>,
}

fn load(conn: &mut ebr_db::PgConnection, term: &str) -> Result<Loaded, DbError> {
    let mut vials = Vec::new();
    let mut donor_chains = Vec::new();
    if !term.is_empty() {
        match chain::of_vial(conn, term) {
            Ok(c) => vials.push(c),
            Err(DbError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        vials.extend(chain::of_subject(conn, term)?);
        if let Ok(din) = Din::parse_keyed(term) {
            if let Some(d) = bank::find_donor(conn, &din.keyed())? {
                donor_chains.push(chain::of_donor(conn, d.id)?);
            }
        }
    }
    let mut donors = Vec::new();
    for d in bank::donors_all(conn)? {
        let determinations = bank::determinations(conn, d.id)?;
        donors.push((d, determinations));
    }
    Ok(Loaded {
        vials,
        donor_chains,
        donors,
        decisions: bank::all_decisions(conn)?,
    })
}

/// `GET /chain?q=`: the chain of a vial, of every vial given to a subject,
/// or down from a donor; the donors and cell-bank decisions.
pub async fn chain_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<ChainQuery>,
) -> HttpResponse {
    let q = query.into_inner().q.unwrap_or_default().trim().to_string();
    page(&req, &state, &who, async |ctx| {
        let term = q.clone();
        let loaded = blocking::db(&state.pool, move |conn| load(conn, &term)).await?;
        let mut chains: Vec<Vec<Link>> = loaded.vials.iter().map(|c| vial_links(ctx, c)).collect();
        chains.extend(loaded.donor_chains.iter().map(|d| donor_links(ctx, d)));
        let donors = loaded
            .donors
            .iter()
            .map(|(d, determinations)| {
                let current = bank::newest_signed(determinations);
                DonorRow {
                    id: d.id.to_string(),
                    keyed: d.din.clone(),
                    eye: eye(&d.din),
                    eligibility: signed_state(
                        ctx,
                        "eligibility.",
                        current.as_ref().map(|(r, _)| r.determination.as_str()),
                        current.as_ref().map(|(_, s)| s),
                    ),
                    unsigned: determinations
                        .iter()
                        .filter(|(_, s)| s.is_empty())
                        .map(|(r, _)| (r.id.to_string(), r.determination.clone()))
                        .collect(),
                }
            })
            .collect();
        let decisions = loaded
            .decisions
            .iter()
            .map(|(r, s)| DecisionRow {
                id: r.id.to_string(),
                level: r.level.clone(),
                lot_number: r.lot_number.clone(),
                decision: r.decision.clone(),
                signed: s.first().map(sig),
            })
            .collect();
        render(&ChainPage {
            ctx,
            searched: !q.is_empty(),
            q: q.clone(),
            chains,
            donors,
            decisions,
        })
    })
    .await
}

/// A row of a box: its letter and each position with the vial in it.
type BoxRow = (char, Vec<(String, Option<String>)>);

#[derive(Template)]
#[template(path = "storage_box.html")]
struct BoxPage<'a> {
    ctx: &'a Ctx,
    code: String,
    name: String,
    rows: Vec<BoxRow>,
    columns: Vec<i32>,
}

/// `GET /storage/{code}`: a box of the storage map, position by position.
pub async fn storage_box(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    code: web::Path<String>,
) -> HttpResponse {
    let code = code.into_inner();
    page(&req, &state, &who, async |ctx| {
        let c = code.clone();
        let (b, vials) = blocking::db(&state.pool, move |conn| {
            let b = storage::location_by_code(conn, &c)?;
            let v = storage::box_contents(conn, b.id)?;
            Ok((b, v))
        })
        .await?;
        let (rows, columns) = (b.box_rows.unwrap_or(0), b.box_columns.unwrap_or(0));
        let grid = (0..rows)
            .map(|r| {
                let letter = char::from(b'A' + u8::try_from(r).unwrap_or(0));
                let cells = (1..=columns)
                    .map(|c| {
                        let position = format!("{letter}{c}");
                        let serial = vials
                            .iter()
                            .find(|v| v.position == position)
                            .map(|v| v.serial.clone());
                        (position, serial)
                    })
                    .collect();
                (letter, cells)
            })
            .collect();
        render(&BoxPage {
            ctx,
            code: b.code.clone(),
            name: b.name.clone(),
            rows: grid,
            columns: (1..=columns).collect(),
        })
    })
    .await
}

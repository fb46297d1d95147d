//! The chain of identity on one page (R47): search by vial serial, trial
//! subject or donor DIN and read the chain from donor to recipient, or from
//! a donor down to every recipient; and the storage map of one box.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_db::repo::custody::{bank, chain, storage};
use ebr_db::DbError;
use ebr_domain::isbt128::Din;
use serde::Deserialize;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::state::AppState;
use crate::ui::page::{page, render, Ctx};

/// One link of a chain as the page prints it.
pub struct Link {
    /// Indentation (0: top).
    pub level: usize,
    /// What it is (catalogue key under `chain.`).
    pub kind: &'static str,
    /// Its identifier.
    pub value: String,
    /// Facts about it (status, signatures, place).
    pub note: String,
    /// Where to read more.
    pub href: Option<String>,
}

fn utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn sig(s: &ebr_domain::signature::SignatureManifest) -> String {
    format!(
        "{} {} {}",
        s.meaning.as_str(),
        s.printed_name,
        utc(s.signed_at)
    )
}

fn vial_links(c: &chain::VialChain) -> Vec<Link> {
    let q = &c.qualification;
    let mut out = Vec::new();
    if let Some(l) = &q.lineage {
        let eligibility = q
            .eligibility
            .as_ref()
            .map_or("no signed determination".to_string(), |(r, s)| {
                format!("{} — {}", r.determination, sig(s))
            });
        out.push(Link {
            level: 0,
            kind: "donor",
            value: Din::parse_keyed(&l.donor_id).map_or(l.donor_id.clone(), |d| d.eye_readable()),
            note: eligibility,
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
            note: q.mcb.as_ref().map_or("not released".into(), |(r, s)| {
                format!("{} — {}", r.decision, sig(s))
            }),
            href: None,
        });
    }
    out.push(Link {
        level: 0,
        kind: "wcb",
        value: format!("{} / {}", c.lineage.wcb_lot, c.lineage.wcb_vial),
        note: q.wcb.as_ref().map_or("not released".into(), |(r, s)| {
            format!("{} — {}", r.decision, sig(s))
        }),
        href: None,
    });
    out.push(Link {
        level: 0,
        kind: "batch",
        value: c.lineage.batch_number.clone(),
        note: c.lineage.batch_status.replace('_', " "),
        href: Some(format!("/batches/{}", c.lineage.batch_id)),
    });
    let mut vial_note = Vec::new();
    if let Some(l) = &c.label {
        vial_note.push(format!(
            "label {} applied and scanned",
            l.label.label_number
        ));
    }
    if let Some(s) = &c.storage {
        vial_note.push(match &s.stored_at {
            Some(at) => format!("stored at {at}"),
            None => s.state.replace('_', " "),
        });
    }
    out.push(Link {
        level: 0,
        kind: "vial",
        value: c.lineage.serial.clone(),
        note: vial_note.join("; "),
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
            .flat_map(|(_, g)| g.iter().map(sig))
            .collect();
        out.push(Link {
            level: 0,
            kind: "shipment",
            value: s.shipment.shipment_number.clone(),
            note: format!(
                "{} → {} — {} — {}",
                s.shipment.from_site,
                s.shipment.to_site,
                s.status.as_str().replace('_', " "),
                signed.join("; ")
            ),
            href: None,
        });
    }
    if let Some(a) = &c.administration {
        out.push(Link {
            level: 0,
            kind: "subject",
            value: a.subject_id.clone(),
            note: format!("{} — {}", a.site, utc(a.administered_at)),
            href: Some(format!("/chain?q={}", a.subject_id)),
        });
    }
    out
}

fn donor_links(d: &chain::DonorChain) -> Vec<Link> {
    let mut out = vec![Link {
        level: 0,
        kind: "donor",
        value: Din::parse_keyed(&d.donor.din).map_or(d.donor.din.clone(), |x| x.eye_readable()),
        note: d
            .determinations
            .iter()
            .map(|(r, s)| match s.first() {
                Some(s) => format!("{} — {}", r.determination, sig(s)),
                None => format!("{} (unsigned)", r.determination),
            })
            .collect::<Vec<_>>()
            .join("; "),
        href: None,
    }];
    for lot in &d.lots {
        out.push(Link {
            level: 1,
            kind: "wcb",
            value: lot.wcb_lot.clone(),
            note: format!("{} / MCB {}", lot.lineage.ipsc_line, lot.lineage.mcb_lot),
            href: None,
        });
        for b in &lot.batches {
            out.push(Link {
                level: 2,
                kind: "batch",
                value: b.batch_number.clone(),
                note: format!("{} — {} vials", b.status.replace('_', " "), b.vials.len()),
                href: Some(format!("/batches/{}", b.batch_id)),
            });
            for (serial, a) in lot.recipients.iter().filter(|(s, _)| b.vials.contains(s)) {
                out.push(Link {
                    level: 3,
                    kind: "subject",
                    value: a.subject_id.clone(),
                    note: format!("vial {serial} — {} — {}", a.site, utc(a.administered_at)),
                    href: Some(format!("/chain?q={serial}")),
                });
            }
        }
    }
    out
}

#[derive(Template)]
#[template(path = "chain.html")]
struct ChainPage<'a> {
    ctx: &'a Ctx,
    q: String,
    chains: Vec<Vec<Link>>,
    searched: bool,
    donors: Vec<(String, String, String)>,
}

/// The search.
#[derive(Debug, Deserialize)]
pub struct ChainQuery {
    /// A vial serial, subject ID or donor DIN.
    #[serde(default)]
    pub q: Option<String>,
}

/// `GET /chain?q=`: the chain of a vial, of every vial given to a subject,
/// or down from a donor.
pub async fn chain_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    query: web::Query<ChainQuery>,
) -> HttpResponse {
    let q = query.into_inner().q.unwrap_or_default().trim().to_string();
    page(&req, &state, &who, async |ctx| {
        let term = q.clone();
        let (chains, donors) = blocking::db(&state.pool, move |conn| {
            let mut chains = Vec::new();
            if !term.is_empty() {
                match chain::of_vial(conn, &term) {
                    Ok(c) => chains.push(vial_links(&c)),
                    Err(DbError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                for c in chain::of_subject(conn, &term)? {
                    chains.push(vial_links(&c));
                }
                if let Ok(din) = Din::parse_keyed(&term) {
                    if let Some(d) = bank::find_donor(conn, &din.keyed())? {
                        chains.push(donor_links(&chain::of_donor(conn, d.id)?));
                    }
                }
            }
            let mut donors = Vec::new();
            for d in bank::donors_all(conn)? {
                let current = bank::current_eligibility(conn, d.id)?
                    .map_or("no signed determination".into(), |(r, s)| {
                        format!("{} — {}", r.determination, sig(&s))
                    });
                let eye = Din::parse_keyed(&d.din).map_or(d.din.clone(), |x| x.eye_readable());
                donors.push((d.din, eye, current));
            }
            Ok((chains, donors))
        })
        .await?;
        render(&ChainPage {
            ctx,
            searched: !q.is_empty(),
            q: q.clone(),
            chains,
            donors,
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

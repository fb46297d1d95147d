//! Shipments (R47, R48): pack released vials, hand over and sign, receive
//! with the seal, the vials scanned and the temperature-logger file, sign
//! the receipt, and record the subject each vial was administered to.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_db::repo::custody::shipments;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::state::AppState;
use crate::ui::page::{minute_utc, page, render, Ctx};

/// A hand-over or receipt as the page lists it.
pub struct EventShown {
    /// handed_over or received.
    pub kind: String,
    /// When.
    pub at: String,
    /// Seal and logger in words.
    pub checked: String,
    /// Discrepancies found.
    pub findings: Vec<String>,
    /// Who signed, or empty.
    pub signed: String,
}

/// A packed vial and whom it went to.
pub struct VialShown {
    /// Serial.
    pub serial: String,
    /// Subject and site, once administered.
    pub administered: Option<String>,
}

/// A shipment as the page lists it.
pub struct ShipmentShown {
    /// Id.
    pub id: String,
    /// Number.
    pub number: String,
    /// From → to.
    pub route: String,
    /// Destination site.
    pub to_site: String,
    /// Courier, dry shipper, seal.
    pub carrier: String,
    /// Status code.
    pub status: String,
    /// Vials.
    pub vials: Vec<VialShown>,
    /// Hand-over and receipt.
    pub events: Vec<EventShown>,
    /// The event kind recorded but not signed yet, if any.
    pub unsigned: Option<String>,
}

#[derive(Template)]
#[template(path = "shipments.html")]
struct ShipmentsPage<'a> {
    ctx: &'a Ctx,
    shipments: Vec<ShipmentShown>,
}

fn shown(
    view: &shipments::ShipmentView,
    administered: &[(String, shipments::AdministrationRow)],
) -> ShipmentShown {
    let events: Vec<EventShown> = view
        .events
        .iter()
        .map(|(e, sigs)| {
            let mut checked = format!("{} {}", e.seal_id, if e.seal_intact { "✓" } else { "✗" });
            if let Some(file) = &e.logger_file_name {
                checked.push_str(&format!(
                    " · {file}: {} × {}…{} °C",
                    e.logger_readings.unwrap_or(0),
                    e.logger_min_c.clone().unwrap_or_default(),
                    e.logger_max_c.clone().unwrap_or_default()
                ));
            }
            EventShown {
                kind: e.kind.clone(),
                at: minute_utc(e.occurred_at),
                checked,
                findings: e.findings().into_iter().map(|f| f.detail).collect(),
                signed: sigs
                    .first()
                    .map(|s| format!("{} {}", s.printed_name, minute_utc(s.signed_at)))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let unsigned = events
        .iter()
        .find(|e| e.signed.is_empty())
        .map(|e| e.kind.clone());
    ShipmentShown {
        id: view.shipment.id.to_string(),
        number: view.shipment.shipment_number.clone(),
        route: format!("{} → {}", view.shipment.from_site, view.shipment.to_site),
        to_site: view.shipment.to_site.clone(),
        carrier: format!(
            "{} · {} · {}",
            view.shipment.shipper, view.shipment.dry_shipper_id, view.shipment.seal_id
        ),
        status: view.status.as_str().to_string(),
        vials: view
            .vials
            .iter()
            .map(|serial| VialShown {
                serial: serial.clone(),
                administered: administered
                    .iter()
                    .find(|(s, _)| s == serial)
                    .map(|(_, a)| {
                        format!(
                            "{} · {} · {}",
                            a.subject_id,
                            a.site,
                            minute_utc(a.administered_at)
                        )
                    }),
            })
            .collect(),
        events,
        unsigned,
    }
}

/// `GET /shipments`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let loaded = blocking::db(&state.pool, |conn| {
            let mut out = Vec::new();
            for view in shipments::list(conn)? {
                let administered = shipments::administered_from(conn, view.shipment.id)?;
                out.push((view, administered));
            }
            Ok(out)
        })
        .await?;
        render(&ShipmentsPage {
            ctx,
            shipments: loaded.iter().map(|(v, a)| shown(v, a)).collect(),
        })
    })
    .await
}

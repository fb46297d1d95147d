//! Master batch records: the list, one version with its content and
//! approval, and the differences between two versions.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_domain::canonical::to_canonical_json;
use ebr_domain::mbr::MasterBatchRecord;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::routes::mbrs::{load_detail, summaries, MbrDetail, MbrSummary};
use crate::state::AppState;
use crate::ui::page::{page, render, Ctx};
use crate::ui::views::{kind_of, limits_text};

#[derive(Template)]
#[template(path = "mbrs.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    mbrs: Vec<MbrSummary>,
}

/// `GET /mbrs`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let mbrs = summaries(&state).await?;
        render(&ListPage { ctx, mbrs })
    })
    .await
}

/// The query of the MBR page.
#[derive(Debug, Deserialize)]
pub struct Compare {
    /// Another version to compare with.
    #[serde(default)]
    pub against: Option<Uuid>,
}

/// One difference between two versions.
#[derive(Debug)]
pub struct Difference {
    /// added, removed or changed.
    pub kind: &'static str,
    /// What (e.g. `step s1-thaw`).
    pub subject: String,
    /// Before (canonical JSON).
    pub before: String,
    /// After (canonical JSON).
    pub after: String,
}

fn keyed<T: Serialize>(items: impl Iterator<Item = (String, T)>) -> Vec<(String, String)> {
    items
        .map(|(k, v)| (k, to_canonical_json(&v).unwrap_or_default()))
        .collect()
}

fn compare(
    label: &str,
    old: &[(String, String)],
    new: &[(String, String)],
    out: &mut Vec<Difference>,
) {
    for (key, after) in new {
        match old.iter().find(|(k, _)| k == key) {
            None => out.push(Difference {
                kind: "added",
                subject: format!("{label} {key}"),
                before: String::new(),
                after: after.clone(),
            }),
            Some((_, before)) if before != after => out.push(Difference {
                kind: "changed",
                subject: format!("{label} {key}"),
                before: before.clone(),
                after: after.clone(),
            }),
            Some(_) => {}
        }
    }
    for (key, before) in old {
        if !new.iter().any(|(k, _)| k == key) {
            out.push(Difference {
                kind: "removed",
                subject: format!("{label} {key}"),
                before: before.clone(),
                after: String::new(),
            });
        }
    }
}

/// Every difference from `old` to `new`: the header, stages, steps (by key),
/// materials, equipment types and release tests.
pub fn differences(old: &MasterBatchRecord, new: &MasterBatchRecord) -> Vec<Difference> {
    let mut out = Vec::new();
    let header = |m: &MasterBatchRecord| {
        keyed(
            [
                ("title".to_string(), serde_json::json!(m.title)),
                ("product".to_string(), serde_json::json!(m.product)),
                ("description".to_string(), serde_json::json!(m.description)),
                (
                    "starting_material".to_string(),
                    serde_json::json!(m.starting_material),
                ),
            ]
            .into_iter(),
        )
    };
    compare("header", &header(old), &header(new), &mut out);
    let stages = |m: &MasterBatchRecord| {
        keyed(m.stages.iter().map(|s| {
            let steps: Vec<&str> = s.steps.iter().map(|x| x.key.as_str()).collect();
            (
                s.key.clone(),
                serde_json::json!({"name": s.name, "steps": steps}),
            )
        }))
    };
    compare("stage", &stages(old), &stages(new), &mut out);
    let steps = |m: &MasterBatchRecord| keyed(m.steps().map(|(_, s)| (s.key.clone(), s.clone())));
    compare("step", &steps(old), &steps(new), &mut out);
    let materials =
        |m: &MasterBatchRecord| keyed(m.materials.iter().map(|x| (x.code.clone(), x.clone())));
    compare("material", &materials(old), &materials(new), &mut out);
    let equipment = |m: &MasterBatchRecord| {
        keyed(
            m.equipment_types
                .iter()
                .map(|x| (x.code.clone(), x.clone())),
        )
    };
    compare("equipment type", &equipment(old), &equipment(new), &mut out);
    let panel =
        |m: &MasterBatchRecord| keyed(m.release_panel.iter().map(|x| (x.key.clone(), x.clone())));
    compare("release test", &panel(old), &panel(new), &mut out);
    out
}

/// A field of a step in the MBR view.
#[derive(Debug)]
pub struct FieldLine {
    /// Label.
    pub label: String,
    /// Kind.
    pub kind: &'static str,
    /// Limits in words.
    pub limits: String,
    /// Required.
    pub required: bool,
}

/// A step in the MBR view.
#[derive(Debug)]
pub struct StepLine {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Instructions.
    pub instructions: String,
    /// Critical.
    pub critical: bool,
    /// Fields.
    pub fields: Vec<FieldLine>,
}

/// A stage in the MBR view.
#[derive(Debug)]
pub struct StageLine {
    /// Name.
    pub name: String,
    /// Steps.
    pub steps: Vec<StepLine>,
}

#[derive(Template)]
#[template(path = "mbr.html")]
struct ViewPage<'a> {
    ctx: &'a Ctx,
    mbr: &'a MbrDetail,
    stages: Vec<StageLine>,
    others: Vec<MbrSummary>,
    against: Option<MbrSummary>,
    differences: Vec<Difference>,
}

/// `GET /mbrs/{id}` (with `?against=<id>`: the differences from that version).
pub async fn view(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    compare_with: web::Query<Compare>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let mbr = load_detail(&state, id.into_inner()).await?;
        let others: Vec<MbrSummary> = summaries(&state)
            .await?
            .into_iter()
            .filter(|m| m.id != mbr.summary.id)
            .collect();
        let (against, differences) = match compare_with.against {
            Some(other) => {
                let old = load_detail(&state, other).await?;
                let diff = differences(&old.content, &mbr.content);
                (Some(old.summary), diff)
            }
            None => (None, Vec::new()),
        };
        let stages = mbr
            .content
            .stages
            .iter()
            .map(|s| StageLine {
                name: s.name.clone(),
                steps: s
                    .steps
                    .iter()
                    .map(|st| StepLine {
                        key: st.key.clone(),
                        name: st.name.clone(),
                        instructions: st.instructions.clone(),
                        critical: st.critical,
                        fields: st
                            .fields
                            .iter()
                            .map(|f| FieldLine {
                                label: f.label.clone(),
                                kind: kind_of(f),
                                limits: limits_text(ctx, f),
                                required: f.required,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        render(&ViewPage {
            ctx,
            mbr: &mbr,
            stages,
            others,
            against,
            differences,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::differences;

    #[test]
    fn a_changed_limit_and_a_new_step_are_differences() {
        let old = ebr_domain::mbr::parse_toml(include_str!(
            "../../../../../fixtures/mbr/mnp-als-v1.toml"
        ));
        let Ok(old) = old else {
            panic!("reference MBR parses");
        };
        let mut new = old.clone();
        assert!(differences(&old, &new).is_empty());
        if let Some(stage) = new.stages.first_mut() {
            if let Some(step) = stage.steps.first_mut() {
                step.instructions.push_str(" Also check the label.");
            }
        }
        new.title.push_str(" (rev.)");
        let diff = differences(&old, &new);
        let kinds: Vec<(&str, &str)> = diff.iter().map(|d| (d.kind, d.subject.as_str())).collect();
        assert!(
            kinds
                .iter()
                .any(|(k, s)| *k == "changed" && s.starts_with("step ")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|(k, s)| *k == "changed" && *s == "header title"),
            "{kinds:?}"
        );
    }
}

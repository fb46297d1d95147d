//! Trend rules over batches in order (Western Electric / Nelson): a batch can
//! be within every limit and still be the sixth in a row with falling
//! viability. Individuals-chart limits come from a baseline set of batches;
//! each rule that fires names the points that make it fire, for a
//! review-by-exception item on the batch (R46). Pure arithmetic: the caller
//! chooses the series (GMP batches of one product and MBR major version).

use serde::Serialize;

/// d2 for moving ranges of two points: σ ≈ mean moving range / 1.128.
const D2: f64 = 1.128;

/// The rules, as numbered in the Western Electric handbook (and Nelson's
/// rules 1, 5, 6, 2 and 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendRule {
    /// One point beyond 3σ from the centre line.
    BeyondThreeSigma,
    /// Two of three points in a row beyond 2σ on the same side.
    TwoOfThreeBeyondTwoSigma,
    /// Four of five points in a row beyond 1σ on the same side.
    FourOfFiveBeyondOneSigma,
    /// Eight points in a row on the same side of the centre line.
    EightOnOneSide,
    /// Six points in a row, each higher (or each lower) than the one before.
    SixRisingOrFalling,
}

impl TrendRule {
    /// Every rule, in order.
    pub const ALL: [TrendRule; 5] = [
        TrendRule::BeyondThreeSigma,
        TrendRule::TwoOfThreeBeyondTwoSigma,
        TrendRule::FourOfFiveBeyondOneSigma,
        TrendRule::EightOnOneSide,
        TrendRule::SixRisingOrFalling,
    ];

    /// The stable code, e.g. `six_rising_or_falling`.
    pub fn code(self) -> &'static str {
        match self {
            TrendRule::BeyondThreeSigma => "beyond_three_sigma",
            TrendRule::TwoOfThreeBeyondTwoSigma => "two_of_three_beyond_two_sigma",
            TrendRule::FourOfFiveBeyondOneSigma => "four_of_five_beyond_one_sigma",
            TrendRule::EightOnOneSide => "eight_on_one_side",
            TrendRule::SixRisingOrFalling => "six_rising_or_falling",
        }
    }

    /// How many points in a row the rule looks at.
    pub fn window(self) -> usize {
        match self {
            TrendRule::BeyondThreeSigma => 1,
            TrendRule::TwoOfThreeBeyondTwoSigma => 3,
            TrendRule::FourOfFiveBeyondOneSigma => 5,
            TrendRule::EightOnOneSide => 8,
            TrendRule::SixRisingOrFalling => 6,
        }
    }
}

/// An individuals chart's centre line and σ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    /// The centre line (the baseline's mean).
    pub centre: f64,
    /// σ, estimated from the baseline's mean moving range (÷ 1.128).
    pub sigma: f64,
}

impl Limits {
    /// Limits from a baseline of at least two finite values, in batch order;
    /// `None` with fewer, or when the baseline does not vary (σ = 0 would
    /// make every later difference a signal).
    pub fn from_baseline(values: &[f64]) -> Option<Limits> {
        if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let n = values.len() as f64;
        let centre = values.iter().sum::<f64>() / n;
        let ranges: f64 = values
            .windows(2)
            .map(|w| match w {
                [a, b] => (b - a).abs(),
                _ => 0.0,
            })
            .sum();
        let sigma = ranges / (n - 1.0) / D2;
        (sigma > 0.0).then_some(Limits { centre, sigma })
    }

    /// The point's distance from the centre line in σ (signed).
    pub fn z(&self, value: f64) -> f64 {
        (value - self.centre) / self.sigma
    }
}

/// A rule that fired at a point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// The rule.
    pub rule: TrendRule,
    /// The point at which it fired (the last of its window).
    pub at: usize,
    /// The points that make it fire, oldest first.
    pub points: Vec<usize>,
}

/// Whether the rule fires on the window of points ending at `at`; the points
/// that make it fire.
fn fires(rule: TrendRule, z: &[f64], values: &[f64], at: usize) -> Option<Vec<usize>> {
    let n = rule.window();
    let start = (at + 1).checked_sub(n)?;
    let window: Vec<usize> = (start..=at).collect();
    let z_at = |i: usize| z.get(i).copied().unwrap_or(0.0);
    let beyond_on_one_side = |k: f64, needed: usize| -> Option<Vec<usize>> {
        [1.0, -1.0].into_iter().find_map(|side: f64| {
            let hits: Vec<usize> = window
                .iter()
                .copied()
                .filter(|i| z_at(*i) * side > k)
                .collect();
            // The window's last point must be one of them, so the signal
            // belongs to the batch that completes it.
            (hits.len() >= needed && hits.contains(&at)).then_some(hits)
        })
    };
    match rule {
        TrendRule::BeyondThreeSigma => (z_at(at).abs() > 3.0).then_some(window),
        TrendRule::TwoOfThreeBeyondTwoSigma => beyond_on_one_side(2.0, 2),
        TrendRule::FourOfFiveBeyondOneSigma => beyond_on_one_side(1.0, 4),
        TrendRule::EightOnOneSide => {
            let all = |side: f64| window.iter().all(|i| z_at(*i) * side > 0.0);
            (all(1.0) || all(-1.0)).then_some(window)
        }
        TrendRule::SixRisingOrFalling => {
            let steps: Vec<f64> = window
                .windows(2)
                .map(|w| match w {
                    [a, b] => {
                        values.get(*b).copied().unwrap_or(0.0)
                            - values.get(*a).copied().unwrap_or(0.0)
                    }
                    _ => 0.0,
                })
                .collect();
            let rising = steps.iter().all(|d| *d > 0.0);
            let falling = steps.iter().all(|d| *d < 0.0);
            (rising || falling).then_some(window)
        }
    }
}

/// Every rule that fires at point `at` of `values` (batches in order).
pub fn signals_at(values: &[f64], limits: Limits, at: usize) -> Vec<Signal> {
    if at >= values.len() {
        return Vec::new();
    }
    let z: Vec<f64> = values.iter().map(|v| limits.z(*v)).collect();
    TrendRule::ALL
        .into_iter()
        .filter_map(|rule| fires(rule, &z, values, at).map(|points| Signal { rule, at, points }))
        .collect()
}

/// Every rule that fires anywhere in `values`, point by point.
pub fn signals(values: &[f64], limits: Limits) -> Vec<Signal> {
    let z: Vec<f64> = values.iter().map(|v| limits.z(*v)).collect();
    (0..values.len())
        .flat_map(|at| {
            let z = &z;
            TrendRule::ALL.into_iter().filter_map(move |rule| {
                fires(rule, z, values, at).map(|points| Signal { rule, at, points })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Centre 0, σ 1: the z value is the value.
    const UNIT: Limits = Limits {
        centre: 0.0,
        sigma: 1.0,
    };

    fn rules_at(values: &[f64], at: usize) -> Vec<TrendRule> {
        signals_at(values, UNIT, at)
            .into_iter()
            .map(|s| s.rule)
            .collect()
    }

    /// A quiet series, alternating around the centre within 1σ, fires nothing.
    #[test]
    fn r46_a_quiet_series_fires_no_rule() {
        let quiet: Vec<f64> = (0..40)
            .map(|i| if i % 2 == 0 { 0.5 } else { -0.4 })
            .collect();
        assert!(signals(&quiet, UNIT).is_empty());
    }

    #[test]
    fn r46_one_point_beyond_three_sigma() {
        assert_eq!(
            rules_at(&[0.1, -0.2, 3.2], 2),
            vec![TrendRule::BeyondThreeSigma]
        );
        assert_eq!(
            rules_at(&[0.1, -0.2, -3.5], 2),
            vec![TrendRule::BeyondThreeSigma]
        );
        assert!(rules_at(&[0.1, -0.2, 2.9], 2).is_empty());
    }

    #[test]
    fn r46_two_of_three_beyond_two_sigma_on_one_side() {
        let fires = rules_at(&[2.5, 0.3, 2.2], 2);
        assert_eq!(fires, vec![TrendRule::TwoOfThreeBeyondTwoSigma]);
        let s = signals_at(&[2.5, 0.3, 2.2], UNIT, 2);
        assert_eq!(s[0].points, vec![0, 2]);
        // Opposite sides do not count together.
        assert!(rules_at(&[2.5, 0.3, -2.2], 2).is_empty());
        // Only one of three beyond 2σ.
        assert!(rules_at(&[2.5, 0.3, 1.9], 2).is_empty());
    }

    #[test]
    fn r46_four_of_five_beyond_one_sigma_on_one_side() {
        assert_eq!(
            rules_at(&[-1.2, -1.5, 0.2, -1.1, -1.3], 4),
            vec![TrendRule::FourOfFiveBeyondOneSigma]
        );
        assert!(rules_at(&[-1.2, -1.5, 0.2, 0.9, -1.3], 4).is_empty());
    }

    #[test]
    fn r46_eight_in_a_row_on_one_side() {
        let eight = [0.3, 0.5, 0.2, 0.8, 0.1, 0.4, 0.6, 0.2];
        assert_eq!(rules_at(&eight, 7), vec![TrendRule::EightOnOneSide]);
        let seven_then_cross = [0.3, 0.5, 0.2, 0.8, 0.1, 0.4, 0.6, -0.2];
        assert!(rules_at(&seven_then_cross, 7).is_empty());
    }

    #[test]
    fn r46_six_in_a_row_rising_or_falling() {
        // Viability falling batch after batch, each within limits.
        let falling = [0.9, 0.6, 0.3, 0.1, -0.2, -0.4];
        assert_eq!(rules_at(&falling, 5), vec![TrendRule::SixRisingOrFalling]);
        let rising: Vec<f64> = falling.iter().rev().copied().collect();
        assert_eq!(rules_at(&rising, 5), vec![TrendRule::SixRisingOrFalling]);
        // A tie breaks the run.
        assert!(rules_at(&[0.9, 0.6, 0.6, 0.1, -0.2, -0.4], 5).is_empty());
        // Five in a row is not yet six.
        assert!(rules_at(&[0.2, 0.9, 0.6, 0.3, 0.1, -0.2], 5).is_empty());
    }

    /// A rule fires on the batch that completes it, not on the earlier ones.
    #[test]
    fn r46_a_signal_belongs_to_the_point_that_completes_it() {
        let s = signals(&[2.5, 0.3, 0.1, 2.2], UNIT);
        assert!(s
            .iter()
            .all(|s| s.rule != TrendRule::TwoOfThreeBeyondTwoSigma));
        assert!(signals_at(&[2.5, 2.6, 0.1], UNIT, 2).is_empty());
    }

    /// Limits come from the baseline's mean and mean moving range.
    #[test]
    fn r46_limits_from_a_baseline() {
        let l = Limits::from_baseline(&[80.0, 82.0, 81.0, 83.0]).unwrap();
        assert!((l.centre - 81.5).abs() < 1e-9);
        // moving ranges 2, 1, 2: mean 5/3; σ = 5/3 / 1.128
        assert!((l.sigma - (5.0 / 3.0) / 1.128).abs() < 1e-9);
        assert!(Limits::from_baseline(&[80.0]).is_none());
        assert!(Limits::from_baseline(&[80.0, 80.0, 80.0]).is_none());
        assert!(Limits::from_baseline(&[80.0, f64::NAN]).is_none());
    }
}

//! The parts of the setup: [`Part`] names one (`--without PART`), [`Parts`] is the
//! set that is on. Every command that covers several parts — `init`, `plan`,
//! `status`, `destroy`, `compose write`, `app write`, `gitpod write`, the wizard —
//! carries one [`Parts`]; nothing else decides which parts are on.

use std::fmt;

use serde::Serialize;

/// One part of the setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Part {
    Honeycomb,
    Xray,
    Logs,
    Rollbar,
    /// The Flask backend's code (`app write`)
    App,
    /// The React frontend's code (`frontend write`)
    Frontend,
}

impl Part {
    /// Every part, in the order plans and reports list them.
    pub(crate) const ALL: [Part; 6] = [
        Part::Honeycomb,
        Part::Xray,
        Part::Logs,
        Part::Rollbar,
        Part::App,
        Part::Frontend,
    ];

    /// The parts the app's code instruments (`app write` installs their packages).
    pub(crate) const INSTRUMENTED: [Part; 4] =
        [Part::Honeycomb, Part::Xray, Part::Logs, Part::Rollbar];

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The parts that are on. Iterates in [`Part::ALL`] order.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Parts(u8);

impl Parts {
    /// No part.
    pub(crate) const NONE: Parts = Parts(0);

    /// Every part.
    pub(crate) const ALL: Parts = Parts::of(&Part::ALL);

    /// The given parts.
    pub(crate) const fn of(parts: &[Part]) -> Parts {
        let mut bits = 0;
        let mut i = 0;
        while i < parts.len() {
            bits |= parts[i].bit();
            i += 1;
        }
        Parts(bits)
    }

    /// Every part but those left out (`--without`).
    pub(crate) fn without(left_out: &[Part]) -> Parts {
        Parts(Parts::ALL.0 & !Parts::of(left_out).0)
    }

    /// Whether `part` is on.
    pub(crate) fn has(self, part: Part) -> bool {
        self.0 & part.bit() != 0
    }

    /// Switches `part` on or off.
    pub(crate) fn set(&mut self, part: Part, on: bool) {
        if on {
            self.0 |= part.bit();
        } else {
            self.0 &= !part.bit();
        }
    }

    /// These parts less `other`'s.
    pub(crate) fn minus(self, other: Parts) -> Parts {
        Parts(self.0 & !other.0)
    }

    /// These parts that are also in `other`.
    pub(crate) fn within(self, other: Parts) -> Parts {
        Parts(self.0 & other.0)
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether an AWS part (X-Ray or CloudWatch Logs) is on: only then are AWS
    /// credentials and a region needed.
    pub(crate) fn aws(self) -> bool {
        self.has(Part::Xray) || self.has(Part::Logs)
    }

    /// The parts that are on, in [`Part::ALL`] order.
    pub(crate) fn iter(self) -> impl Iterator<Item = Part> {
        Part::ALL.into_iter().filter(move |p| self.has(*p))
    }

    /// Whether the dev environment's secret `name` (`gp env`, `gh secret set`)
    /// belongs to a part that is on. Unknown names are the AWS credentials'.
    pub(crate) fn wants_env(self, name: &str) -> bool {
        match name {
            "HONEYCOMB_API_KEY" => self.has(Part::Honeycomb),
            "ROLLBAR_ACCESS_TOKEN" => self.has(Part::Rollbar),
            _ => self.aws(),
        }
    }
}

impl FromIterator<Part> for Parts {
    fn from_iter<I: IntoIterator<Item = Part>>(iter: I) -> Parts {
        let mut parts = Parts::NONE;
        for p in iter {
            parts.set(p, true);
        }
        parts
    }
}

impl fmt::Debug for Parts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Parts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_leaves_out_exactly_the_named_parts() {
        let p = Parts::without(&[Part::Logs, Part::App]);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [Part::Honeycomb, Part::Xray, Part::Rollbar, Part::Frontend]
        );
        assert!(p.aws());
        assert!(!Parts::without(&[Part::Xray, Part::Logs]).aws());
        assert_eq!(Parts::without(&[]), Parts::ALL);
        assert!(Parts::without(&Part::ALL).is_empty());
    }

    #[test]
    fn set_and_set_algebra() {
        let mut p = Parts::NONE;
        p.set(Part::Rollbar, true);
        p.set(Part::Xray, true);
        p.set(Part::Rollbar, false);
        assert_eq!(p, Parts::of(&[Part::Xray]));
        let q = Parts::of(&[Part::Xray, Part::Logs]);
        assert_eq!(q.minus(p), Parts::of(&[Part::Logs]));
        assert_eq!(q.within(p), p);
        assert_eq!(format!("{q:?}"), "{Xray, Logs}");
        assert_eq!(
            serde_json::to_string(&q).ok().as_deref(),
            Some(r#"["xray","logs"]"#)
        );
    }

    #[test]
    fn env_secrets_follow_their_part() {
        let p = Parts::of(&[Part::Honeycomb]);
        assert!(p.wants_env("HONEYCOMB_API_KEY"));
        assert!(!p.wants_env("AWS_SECRET_ACCESS_KEY"));
        assert!(!p.wants_env("ROLLBAR_ACCESS_TOKEN"));
        assert!(Parts::of(&[Part::Logs]).wants_env("AWS_DEFAULT_REGION"));
    }
}

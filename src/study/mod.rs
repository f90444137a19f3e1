//! Studies: questions put to committed result files.
//!
//! A study is a set of experiments (TOML files whose sweeps are committed as result files) and a
//! list of claims. Each claim reads the typed rows of its experiments' result files and returns
//! a [`Section`]: a title, a [`Verdict`] computed from the numbers (never written by hand), and a
//! Markdown body in which every number is read from those files. The study's report is its
//! sections in order. This module owns what every study shares (the section and the verdict);
//! [`tf2`] is the TF2 Hessian-symmetry article's study (`clairaut report`).

use std::fmt;

pub mod tf2;

/// What the numbers say of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The numbers bear the claim out.
    Supported,
    /// The numbers contradict the claim.
    Refuted,
    /// True under conditions that the section states with it.
    Nuanced,
}

impl Verdict {
    /// A claim measured by one figure at two precisions (f32, f64): supported when `supported`
    /// holds for both, refuted when `refuted` holds for both, nuanced otherwise.
    pub fn at_both(figures: (f64, f64), supported: impl Fn(f64) -> bool, refuted: impl Fn(f64) -> bool) -> Verdict {
        let (a, b) = figures;
        if supported(a) && supported(b) {
            Verdict::Supported
        } else if refuted(a) && refuted(b) {
            Verdict::Refuted
        } else {
            Verdict::Nuanced
        }
    }

    /// The verdict as the report prints it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Refuted => "refuted",
            Verdict::Nuanced => "nuanced",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One section of a study's report: a claim with its verdict, or a section without one (the
/// article's examples, the closing notes).
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Heading text (without the verdict).
    pub title: String,
    /// The verdict, computed from the numbers; `None` for sections that judge no claim.
    pub verdict: Option<Verdict>,
    /// The experiments whose regenerate command the section prints under its heading.
    pub regenerate: Vec<&'static str>,
    /// Markdown body.
    pub body: String,
}

impl Section {
    /// The section as Markdown: `## title — **verdict**`, a blank line, the regenerate line of
    /// each experiment (`regen(name)`), then the body.
    pub fn to_markdown(&self, regen: impl Fn(&str) -> String) -> String {
        let mut md = format!("## {}", self.title);
        if let Some(v) = self.verdict {
            md.push_str(&format!(" — **{v}**"));
        }
        md.push_str("\n\n");
        for name in &self.regenerate {
            md.push_str(&regen(name));
        }
        md.push_str(&self.body);
        md
    }
}

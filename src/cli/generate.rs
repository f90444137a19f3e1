//! `clairaut generate`: write a seeded random problem file (see [`Problem::generate`]).

use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::model::{Activation, Loss, Problem, Spec};

/// Options of `clairaut generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Widths d0,d1,…,dL.
    #[arg(long, value_name = "D0,D1,..")]
    pub layers: String,
    /// One activation per layer (or one for all).
    #[arg(long, value_name = "A1,..", value_enum, value_delimiter = ',', required = true)]
    pub activations: Vec<Activation>,
    /// The loss.
    #[arg(long, value_enum, default_value = "mse")]
    pub loss: Loss,
    /// Batch size N.
    #[arg(long, default_value_t = 8)]
    pub n: usize,
    /// Seed (ChaCha8 stream; values never change with crate upgrades).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs `clairaut generate`.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let opt = |o: &str, m: String| Error::Option { option: o.into(), message: m };
    let layers: Vec<usize> = args
        .layers
        .split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(v) if v >= 1 => Ok(v),
            _ => Err(opt("--layers", format!("`{w}` is not a width ≥ 1"))),
        })
        .collect::<Result<_, _>>()?;
    if layers.len() < 2 {
        return Err(opt("--layers", "needs at least two widths".into()).into());
    }
    let mut activations = args.activations.clone();
    if activations.len() == 1 {
        activations = vec![activations[0]; layers.len() - 1];
    }
    if activations.len() != layers.len() - 1 {
        return Err(opt("--activations", format!("{} given for {} layers", activations.len(), layers.len() - 1)).into());
    }
    let loss = args.loss;
    if args.n == 0 {
        return Err(opt("--n", "must be at least 1".into()).into());
    }
    let problem = Problem::generate(&Spec { layers, activations, loss }, args.n, args.seed);
    let mut text = serde_json::to_vec_pretty(&problem.to_json()).expect("serializable");
    text.push(b'\n');
    crate::results::write_atomic(&args.out, &text)?;
    println!("wrote {} (P = {})", args.out.display(), problem.spec.num_params());
    Ok(())
}

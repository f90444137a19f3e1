//! `clairaut generate`: write a seeded random problem file (see [`Problem::generate`]), after
//! refusing sizes that would not fit in memory.

use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::hessian::cost;
use crate::model::{Activation, Loss, Problem, Spec};

/// Options of `clairaut generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Widths d0,d1,…,dL.
    #[arg(long, value_name = "D0,D1,..")]
    pub layers: String,
    /// One activation per layer (or one for all): identity, sigmoid, tanh, softplus, relu, gelu,
    /// silu, gelu_tanh, leaky_relu (slope 0.01) or leaky_relu:<slope> (e.g. leaky_relu:0.2).
    #[arg(long, value_name = "A1,..", value_parser = Activation::parse_cli, value_delimiter = ',', required = true)]
    pub activations: Vec<Activation>,
    /// The loss.
    #[arg(long, value_enum, default_value = "mse")]
    pub loss: Loss,
    /// Which layers have a bias, one flag per layer (or one for all): `true,false` gives layer 2
    /// none (`nn.Linear(bias=False)`); also 1/0, yes/no. Default: every layer has one.
    #[arg(long, value_name = "B1,..", value_parser = clap::builder::BoolishValueParser::new(), value_delimiter = ',')]
    pub bias: Vec<bool>,
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

/// Refuses a problem whose sizes overflow, or whose estimated memory (every number as decimal
/// text and as JSON, [`cost::Dims::problem_bytes`]) exceeds the available memory — before
/// anything is generated.
fn check_size(layers: &[usize], bias: &[bool], n: usize) -> Result<(), Error> {
    let what = format!("layers {}, --n {n}", layers.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(","));
    let dims = cost::Dims::checked(layers, bias, n as u64)
        .ok_or_else(|| Error::Option { option: "--layers".into(), message: format!("{what}: the number of parameters overflows a 64-bit integer") })?;
    let need = dims.problem_bytes();
    match cost::available_memory() {
        Some(avail) if need > avail as f64 => {
            let option = if (cost::Dims { n: 1, ..dims }).problem_bytes() > avail as f64 { "--layers" } else { "--n" };
            let message = format!(
                "{what}: P = {} parameters and {} data values need an estimated {}, more than the {} available",
                dims.params,
                (n as u128) * (dims.sample as u128),
                cost::fmt_bytes(need),
                cost::fmt_bytes(avail as f64)
            );
            Err(Error::Option { option: option.into(), message })
        }
        _ => Ok(()),
    }
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
    let bias = match args.bias.len() {
        0 => vec![true; layers.len() - 1],
        1 => vec![args.bias[0]; layers.len() - 1],
        k if k == layers.len() - 1 => args.bias.clone(),
        k => return Err(opt("--bias", format!("{k} given for {} layers", layers.len() - 1)).into()),
    };
    let loss = args.loss;
    if args.n == 0 {
        return Err(opt("--n", "must be at least 1".into()).into());
    }
    check_size(&layers, &bias, args.n)?;
    let problem = Problem::generate(&Spec::new(layers, activations, loss).with_bias(bias), args.n, args.seed);
    let mut text = serde_json::to_vec_pretty(&problem.to_json()).expect("serializable");
    text.push(b'\n');
    crate::results::write_atomic(&args.out, &text)?;
    println!("wrote {} (P = {})", args.out.display(), problem.spec.num_params());
    Ok(())
}

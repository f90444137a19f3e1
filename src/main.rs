use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = clairaut::cli::parse();
    match clairaut::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", clairaut::error::one_line(&format!("{e:#}")));
            // Bad input (files, options, sizes) exits 2, like a usage error; anything else 1.
            if e.downcast_ref::<clairaut::Error>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

//! Issue #4: `scripts/slurm/slurm-sweep.sh` on a real SLURM. `scripts/slurm/slurm-local.sh` installs (when
//! missing) and starts a single-node SLURM on this machine (munged, slurmctld, slurmd; needs root
//! or passwordless sudo); the script submits a job array of shards and a dependent merge job;
//! the merged result files must equal a local sweep's, apart from provenance, and so must the
//! exported CSV tables. Fails when SLURM cannot be set up; the only opt-out is
//! `CLAIRAUT_SKIP_SLURM=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[path = "it/common/mod.rs"]
mod common;
use common::deterministic;

/// A committed experiment with enough cells for every shard to get some, quick to run.
const EXPERIMENT: &str = "experiments/activation-loss.toml";
const SHARDS: usize = 2;
/// How long the array and the merge job may take, from submission.
const JOB_TIMEOUT: Duration = Duration::from_secs(300);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_clairaut")
}

fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?} failed ({}):\n{}", o.status, text(&o));
    o
}

/// `scontrol show job -o ID`: one line per job (one per task for an array).
fn show_job(id: &str) -> String {
    Command::new("scontrol")
        .args(["show", "job", "-o", id])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
        .unwrap_or_else(|e| format!("scontrol: {e}"))
}

fn job_state(id: &str) -> Option<String> {
    show_job(id).split_whitespace().find_map(|w| w.strip_prefix("JobState=")).map(str::to_owned)
}

/// Everything that helps to see why a job did not complete: the jobs, the node, the job logs
/// and the daemons' logs.
fn diagnostics(ids: &[&str], out: &Path) -> String {
    let mut s = String::new();
    for id in ids {
        s += &format!("--- scontrol show job {id}\n{}\n", show_job(id));
    }
    for (cmd, args) in [("squeue", &["-a"][..]), ("sinfo", &["-N", "-l"][..])] {
        let o = Command::new(cmd).args(args).output();
        s += &format!("--- {cmd}\n{}\n", o.map(|o| text(&o)).unwrap_or_else(|e| e.to_string()));
    }
    let mut logs: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "log")).collect())
        .unwrap_or_default();
    logs.sort();
    logs.extend(["/var/log/slurm/slurmctld.log", "/var/log/slurm/slurmd.log"].map(PathBuf::from));
    for f in logs {
        let t = std::fs::read_to_string(&f).unwrap_or_else(|e| format!("({e})"));
        let tail: Vec<&str> = t.lines().rev().take(40).collect();
        s += &format!("--- {} (last lines)\n{}\n", f.display(), tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    s
}

fn csv(dir: &Path, to: &Path) -> String {
    run(Command::new(bin()).arg("export").arg(dir).args(["--format", "csv", "--out"]).arg(to));
    std::fs::read_to_string(to.join("results.csv")).unwrap()
}

#[test]
fn slurm_array_and_merge_job_equal_a_local_sweep() {
    if std::env::var("CLAIRAUT_SKIP_SLURM").as_deref() == Ok("1") {
        eprintln!("tests/slurm.rs: skipped because CLAIRAUT_SKIP_SLURM=1 (no SLURM job array was submitted)");
        return;
    }
    let t0 = Instant::now();
    // a single-node SLURM on this machine; fails (with the daemons' logs) if it cannot be set up
    run(&mut Command::new(root().join("scripts/slurm/slurm-local.sh")));
    eprintln!("slurm-local.sh: {:.1} s", t0.elapsed().as_secs_f64());

    let exp = root().join(EXPERIMENT);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("slurm");
    let submitted = run(Command::new(root().join("scripts/slurm/slurm-sweep.sh"))
        .arg(&exp)
        .arg(&out)
        .arg(SHARDS.to_string())
        .env("CLAIRAUT", bin()));
    // "submitted array <id> (<n> shards) and merge <id>; results in <dir>"
    let line = String::from_utf8_lossy(&submitted.stdout).into_owned();
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |w: &str| words.iter().position(|x| *x == w).map(|i| words[i + 1].trim_end_matches(';').to_owned());
    let (array, merge) = (after("array").expect(&line), after("merge").expect(&line));
    eprintln!("{}", line.trim());

    let t1 = Instant::now();
    let state = loop {
        let state = job_state(&merge);
        match state.as_deref() {
            Some("PENDING" | "CONFIGURING" | "RUNNING" | "COMPLETING" | "REQUEUED" | "RESIZING" | "SUSPENDED") => {}
            _ => break state,
        }
        if t1.elapsed() > JOB_TIMEOUT {
            panic!("merge job {merge} still {state:?} after {JOB_TIMEOUT:?}\n{}", diagnostics(&[&array, &merge], &out));
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(state.as_deref(), Some("COMPLETED"), "merge job {merge} did not complete\n{}", diagnostics(&[&array, &merge], &out));
    let tasks = show_job(&array);
    assert_eq!(tasks.matches("JobState=COMPLETED").count(), SHARDS, "array {array}:\n{tasks}");
    eprintln!("SLURM array + merge: {:.1} s", t1.elapsed().as_secs_f64());

    // every shard computed some cells (so `--shard auto` saw the array), none twice
    let per_shard: Vec<usize> = (0..SHARDS).map(|k| deterministic(&out.join(format!("shard-{k}"))).len()).collect();
    let merged = deterministic(&out.join("merged"));
    assert!(per_shard.iter().all(|&n| n > 0), "cells per shard {per_shard:?}");
    assert_eq!(per_shard.iter().sum::<usize>(), merged.len(), "cells per shard {per_shard:?}");

    // the same experiment run locally: the same result files, apart from provenance
    let local = dir.path().join("local");
    run(Command::new(bin()).arg("sweep").arg(&exp).arg("--out").arg(&local));
    let expected = deterministic(&local);
    assert!(!expected.is_empty());
    assert_eq!(merged.len(), expected.len(), "cells: SLURM {} vs local {}", merged.len(), expected.len());
    for ((name, bytes), (lname, lbytes)) in merged.iter().zip(&expected) {
        assert_eq!(name, lname);
        assert!(bytes == lbytes, "{name}: the SLURM result differs from the local one (apart from provenance)");
    }
    // and the same exported table
    let (a, b) = (csv(&out.join("merged"), &dir.path().join("csv-slurm")), csv(&local, &dir.path().join("csv-local")));
    assert_eq!(a.lines().count(), b.lines().count());
    assert_eq!(a, b, "the exported CSV tables differ");
    eprintln!("total: {:.1} s", t0.elapsed().as_secs_f64());
}

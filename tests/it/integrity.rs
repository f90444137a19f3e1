//! Issue #14 (points 3 and 7): outputs honour the umask, temporary files of killed runs are
//! removed by the next sweep of their folder, and a result file with a newer schema is never
//! overwritten (`status` names it, `sweep` leaves it and fails at the end).

use crate::common::bin;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use clairaut::results::ResultFile;


/// Two cells, fast.
const TWO: &str = r#"
name = "two"
[base]
layers = [2, 3, 2]
activations = ["tanh", "identity"]
n = 3
methods = ["rev-rev", "fwd-rev"]
[sweep]
precisions = [["f32"], ["f64"]]
"#;

fn experiment(dir: &Path) -> PathBuf {
    let exp = dir.join("two.toml");
    std::fs::write(&exp, TWO).unwrap();
    exp
}

fn cbor_files(dir: &Path) -> Vec<PathBuf> {
    clairaut::results::files_in(dir).unwrap()
}

fn sweep(exp: &Path, out: &Path) -> std::process::Output {
    Command::new(bin()).arg("sweep").arg(exp).arg("--out").arg(out).output().unwrap()
}

#[cfg(unix)]
#[test]
fn outputs_get_the_mode_of_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path());
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let (out, tables) = (dir.path().join(format!("out{umask}")), dir.path().join(format!("csv{umask}")));
        // `$0` is the binary, `$1`… the arguments: no quoting of paths
        let script = format!("umask {umask} && \"$0\" sweep \"$1\" --out \"$2\" && \"$0\" export \"$2\" --format csv --out \"$3\"");
        let run = std::process::Command::new("sh").arg("-c").arg(&script).arg(bin()).arg(&exp).arg(&out).arg(&tables).output().unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let mut written = cbor_files(&out);
        written.extend(std::fs::read_dir(&tables).unwrap().map(|e| e.unwrap().path()));
        assert!(written.len() >= 3, "{written:?}");
        for f in written {
            let got = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, mode, "{} under umask {umask}: {got:o}", f.display());
        }
    }
}

#[test]
fn a_sweep_removes_stale_temporary_files_of_killed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    // a killed writer's file, another program's file of the same age, and a write in progress
    for name in [".clairaut-tmp-Ab12Cd", ".tmpXy34Zw", "notes.txt"] {
        std::fs::write(out.join(name), b"partial").unwrap();
        std::fs::File::options().write(true).open(out.join(name)).unwrap().set_modified(hour_ago).unwrap();
    }
    std::fs::write(out.join(".clairaut-tmp-Ef56Gh"), b"partial").unwrap();
    let run = sweep(&exp, &out);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stderr).contains("removed 1 stale temporary file"), "{}", String::from_utf8_lossy(&run.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.retain(|n| !n.ends_with(".cbor"));
    names.sort();
    assert_eq!(names, [".clairaut-tmp-Ef56Gh", ".tmpXy34Zw", "notes.txt"]);
    assert_eq!(cbor_files(&out).len(), 2);
}

#[test]
fn a_result_file_with_a_newer_schema_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let exp = experiment(dir.path());
    let out = dir.path().join("out");
    assert!(sweep(&exp, &out).status.success());
    let fs = cbor_files(&out);
    assert_eq!(fs.len(), 2);
    // the first cell's file comes from a newer Clairaut; the second cell is missing
    let mut r = ResultFile::read(&fs[0]).unwrap();
    r.schema = 99;
    r.write(&fs[0]).unwrap();
    let newer = std::fs::read(&fs[0]).unwrap();
    std::fs::remove_file(&fs[1]).unwrap();
    let id = |f: &Path| f.file_stem().unwrap().to_string_lossy().into_owned();

    // status names it, not as missing, and exits 3 (incomplete)
    let st = Command::new(bin()).arg("status").arg(&exp).arg("--out").arg(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert_eq!(st.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("0 of 2 cells complete"), "{stdout}");
    assert!(stdout.contains(&format!("newer schema: {}: schema 99", fs[0].display())), "{stdout}");
    assert!(!stdout.contains(&format!("missing {}", id(&fs[0]))), "{stdout}");
    assert!(stdout.contains(&format!("missing {}", id(&fs[1]))), "{stdout}");

    // sweep computes the other cell, leaves the file untouched, names it, and fails at the end
    let run = sweep(&exp, &out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&*fs[0].to_string_lossy())).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("newer schema: ") && lines[0].contains("schema 99") && lines[0].contains("left untouched"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error")).count(), 1, "{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("2 cells in this shard, 0 already complete, 1 computed"), "{stdout}");
    assert_eq!(std::fs::read(&fs[0]).unwrap(), newer);
    ResultFile::read(&fs[1]).unwrap();
    // and again: nothing to compute, the file still untouched, still an error
    assert_eq!(sweep(&exp, &out).status.code(), Some(2));
    assert_eq!(std::fs::read(&fs[0]).unwrap(), newer);
}

//! The provenance of a result: the build (crate version, git commit, rustc, target, profile,
//! dependencies, GMP and MPFR versions, from `built`), the machine (CPU model, threads), the
//! run (start and end UTC, argv) and its timings — everything about a result that is not a
//! function of its configuration.

use std::time::SystemTime;

use super::record::{Provenance, RunTimings};

/// Build-time information (from `built`).
pub mod built_info {
    include!(concat!(env!("OUT_DIR"), "/built.rs"));
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a system time.
pub fn utc(t: SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The CPU model (`/proc/cpuinfo`), or the architecture where that is not available.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn cstr(p: *const std::os::raw::c_char) -> String {
    // SAFETY: GMP/MPFR return static NUL-terminated version strings.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The provenance of a computation that ran from `start` to `end` with these `timings`, on the
/// current rayon pool.
pub fn provenance(start: SystemTime, end: SystemTime, timings: RunTimings) -> Provenance {
    Provenance {
        argv: std::env::args().collect(),
        cpu: cpu_model(),
        crate_version: built_info::PKG_VERSION.to_string(),
        dependencies: built_info::DEPENDENCIES.iter().map(|(n, v)| format!("{n} {v}")).collect(),
        end_utc: utc(end),
        git_commit: built_info::GIT_COMMIT_HASH.map(str::to_string),
        git_dirty: built_info::GIT_DIRTY,
        gmp: cstr(unsafe { gmp_mpfr_sys::gmp::version }),
        mpfr: cstr(unsafe { gmp_mpfr_sys::mpfr::get_version() }),
        profile: built_info::PROFILE.to_string(),
        rustc: built_info::RUSTC_VERSION.to_string(),
        start_utc: utc(start),
        target: built_info::TARGET.to_string(),
        threads: rayon::current_num_threads(),
        timings,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formatting() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_115_200 + 3_661);
        assert_eq!(super::utc(t), "2025-11-26T01:01:01Z");
        assert_eq!(super::utc(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_709_164_800);
        assert_eq!(super::utc(leap), "2024-02-29T00:00:00Z");
    }
}

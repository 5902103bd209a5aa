//! The benchmark's process launcher: `rss OUT COMMAND [ARGS...]` runs the
//! command (stdio inherited), waits for it, writes `<peak RSS in KiB>
//! <wall time in ns> <CPU time (user + system) in µs>` to OUT and exits with
//! the command's status.
//!
//! Why not measure from Python: Linux carries the RSS high-water mark of the
//! memory a process had before `exec` into its `ru_maxrss`, and a child of
//! the benchmark (vfork or fork of a Python process) starts with the
//! benchmark's own 20 to 40 MB. A child of this small launcher starts with
//! about 1 MB, so the figure is the command's own. Built by tests/bench/run
//! with plain `rustc` (no dependencies). Linux, 64-bit.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode};
use std::time::Instant;

const RUSAGE_CHILDREN: i32 = -1;

extern "C" {
    // struct rusage on 64-bit Linux: ru_utime and ru_stime (struct timeval:
    // seconds, microseconds), then 14 longs, the first of which is ru_maxrss
    // (KiB).
    fn getrusage(who: i32, usage: *mut [i64; 18]) -> i32;
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: rss OUT COMMAND [ARGS...]");
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let status = match Command::new(&args[1]).args(&args[2..]).status() {
        Ok(status) => status,
        Err(error) => {
            eprintln!("rss: cannot run {}: {error}", args[1]);
            return ExitCode::from(127);
        }
    };
    let wall = started.elapsed();
    let mut usage = [0i64; 18];
    // SAFETY: `usage` is as large as struct rusage and writable.
    let (maxrss, cpu_us) = if unsafe { getrusage(RUSAGE_CHILDREN, &mut usage) } == 0 {
        (
            usage[4],
            (usage[0] + usage[2]) * 1_000_000 + usage[1] + usage[3],
        )
    } else {
        (-1, -1)
    };
    let written = std::fs::File::create(&args[0])
        .and_then(|mut out| writeln!(out, "{maxrss} {} {cpu_us}", wall.as_nanos()));
    if let Err(error) = written {
        eprintln!("rss: cannot write {}: {error}", args[0]);
        return ExitCode::from(2);
    }
    match status.code() {
        Some(code) => ExitCode::from(code as u8),
        None => ExitCode::from(128 + status.signal().unwrap_or(0) as u8),
    }
}

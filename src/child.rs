//! Running a converter (Tesseract, poppler, heif-convert) as a child process:
//! no shell, input on stdin, output read up to a cap, killed at a deadline. A
//! hostile file can make such a program spin or balloon; it does so in its own
//! process, and the worker that asked gets an error back in bounded time.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChildError {
    #[error("{0} is not installed")]
    Missing(String),
    #[error("{program} timed out after {after:?} and was killed")]
    TimedOut { program: String, after: Duration },
    #[error("{program} failed: {detail}")]
    Failed { program: String, detail: String },
    #[error("{program} wrote more than {cap} bytes")]
    TooMuchOutput { program: String, cap: usize },
}

/// Runs `program args…` with `input` on stdin; returns its stdout.
pub fn run(
    program: &Path,
    args: &[&str],
    input: &[u8],
    deadline: Instant,
    max_output: usize,
) -> Result<Vec<u8>, ChildError> {
    let name = program.display().to_string();
    let failed = |detail: String| ChildError::Failed {
        program: name.clone(),
        detail,
    };
    let mut child = match Command::new(program)
        .args(args)
        // OpenMP programs (Tesseract) take one core each: several run side by
        // side on a busy desk, and on two cores their threads only fight.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ChildError::Missing(name)),
        Err(e) => return Err(failed(e.to_string())),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let data = input.to_vec();
    // A program that stops reading must not block us: the writer is a thread
    // of its own, and a broken pipe is the program's business.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let read = (&mut stdout).take(max_output as u64 + 1).read_to_end(&mut out);
        read.map(|_| out)
    });
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stderr).take(4096).read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                return Err(ChildError::TimedOut {
                    program: name,
                    after: started.elapsed(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(e.to_string()));
            }
        }
    };
    let _ = writer.join();
    let out = reader
        .join()
        .map_err(|_| failed("reading its output panicked".into()))?
        .map_err(|e| failed(e.to_string()))?;
    let said = errors.join().unwrap_or_default();
    if !status.success() {
        let said: String = said.trim().chars().take(300).collect();
        return Err(failed(format!("{status}: {said}")));
    }
    if out.len() > max_output {
        return Err(ChildError::TooMuchOutput {
            program: name,
            cap: max_output,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_errors_and_deadlines() {
        let soon = || Instant::now() + Duration::from_secs(5);
        let cat = run(Path::new("cat"), &[], b"hello", soon(), 100).unwrap();
        assert_eq!(cat, b"hello");
        assert!(matches!(
            run(Path::new("cat"), &[], &[b'x'; 1000], soon(), 100),
            Err(ChildError::TooMuchOutput { .. })
        ));
        assert!(matches!(
            run(Path::new("false"), &[], b"", soon(), 100),
            Err(ChildError::Failed { .. })
        ));
        assert_eq!(
            run(Path::new("no-such-program-here"), &[], b"", soon(), 100),
            Err(ChildError::Missing("no-such-program-here".into()))
        );
        let short = Instant::now() + Duration::from_millis(200);
        assert!(matches!(
            run(Path::new("sleep"), &["30"], b"", short, 100),
            Err(ChildError::TimedOut { .. })
        ));
    }
}

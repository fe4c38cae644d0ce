//! `jikgu serve` and `jikgu worker` refuse to start without a JWT secret of the
//! operator's own, and say which variable to set.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run_without_secret(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jikgu"))
        .args(args)
        .env_remove("JIKGU_JWT_SECRET")
        .env("JIKGU_REDIS_PREFIX", "test:secret:")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jikgu");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    (status.and_then(|s| s.code()), err)
}

#[test]
fn serve_and_worker_refuse_to_start_without_a_jwt_secret() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port().to_string())
        .expect("a free port");
    for args in [vec!["serve", "--port", port.as_str()], vec!["worker"]] {
        let (code, err) = run_without_secret(&args);
        assert_eq!(code, Some(2), "{args:?} did not exit with 2; stderr: {err}");
        assert!(err.contains("JIKGU_JWT_SECRET"), "{args:?} stderr: {err}");
        assert!(err.contains("32"), "{args:?} stderr: {err}");
    }
}

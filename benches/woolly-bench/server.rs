//! The server under test: the release `woolly` binary as a child process, its readiness,
//! memory (RSS from `/proc`) and CPU time, and a graceful stop.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::process::{Child, Command};

/// A running `woolly serve`.
pub struct Server {
    child: Child,
    /// Process id, for `/proc` sampling.
    pub pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its combined stdout/stderr.
    pub log: PathBuf,
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts `bin serve` on `database_url` with rate limiting off and the `env` given, and
    /// waits until it accepts connections. The environment's other `WOOLLY_*` variables are
    /// not passed on. Its output goes to `log_name` in `workdir`.
    pub async fn start(
        bin: &Path,
        database_url: &str,
        base_url: &str,
        port: u16,
        workdir: &Path,
        env: &[(&str, &str)],
        log_name: &str,
    ) -> anyhow::Result<Server> {
        std::fs::create_dir_all(workdir)?;
        let log = workdir.join(log_name);
        let out = std::fs::File::create(&log)?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut cmd = Command::new(bin);
        cmd.arg("serve");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WOOLLY_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("WOOLLY_CONFIG", workdir.join("no-config-file.toml"))
            .env("WOOLLY_URL", base_url)
            .env("WOOLLY_LISTEN", addr.to_string())
            .env("WOOLLY_DATABASE_URL", database_url)
            .env("WOOLLY_DATA_DIR", workdir.join("data"))
            .env("WOOLLY_RATE_LIMIT", "false")
            .envs(env.iter().copied())
            .current_dir(workdir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().context("server exited at once")?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "the server exited ({status}) before accepting connections; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not listen on {addr} within 120 s (see {})",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Server {
            child,
            pid,
            addr,
            log,
        })
    }

    /// Resident set size now, in bytes.
    pub fn rss(&self) -> Option<u64> {
        proc_status_kb(self.pid, "VmRSS:").map(|kb| kb * 1024)
    }

    /// Anonymous (heap) and file-backed parts of the resident set now, in bytes.
    pub fn rss_parts(&self) -> Option<(u64, u64)> {
        Some((
            proc_status_kb(self.pid, "RssAnon:")? * 1024,
            proc_status_kb(self.pid, "RssFile:")? * 1024,
        ))
    }

    /// Peak resident set size since start (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Option<u64> {
        proc_status_kb(self.pid, "VmHWM:").map(|kb| kb * 1024)
    }

    /// User + system CPU time consumed so far.
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time_of(&format!("/proc/{}/stat", self.pid))
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then SIGKILL if it has not stopped within 15 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                eprintln!("  server did not stop within 15 s of SIGTERM; killing it");
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

/// CPU time (user + system) of this benchmark process.
pub fn own_cpu_time() -> Option<Duration> {
    cpu_time_of("/proc/self/stat")
}

fn cpu_time_of(stat_path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(Duration::from_secs_f64((utime + stime) as f64 / ticks))
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

//! Video, audio and animated GIFs through the `ffmpeg` and `ffprobe` programs, when they are
//! installed. Every run works on temporary files, is killed after its time bound, and is
//! bounded in frame size, frame rate, duration and output frames; metadata is dropped
//! (`-map_metadata -1`). Outputs are web-safe: H.264/AAC MP4 with `faststart` for video and
//! gifv (no audio), MP3 for audio.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::process::Command;

use super::MediaError;

/// Most pixels per video frame (Mastodon's `video_matrix_limit`, 3840×2160).
pub const VIDEO_MATRIX_LIMIT: u64 = 8_294_400;
/// Highest frame rate (Mastodon's `video_frame_rate_limit`).
pub const VIDEO_FRAME_RATE_LIMIT: f64 = 120.0;
/// Longest video or audio, in seconds.
pub const MAX_DURATION_SECS: f64 = 3600.0;
/// Most video frames written (the duration bound at 60 frames per second).
pub const MAX_FRAMES: u64 = 216_000;
/// Time bound of `ffprobe`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// How to run the programs.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    /// `ffmpeg`.
    pub ffmpeg: PathBuf,
    /// `ffprobe`.
    pub ffprobe: PathBuf,
    /// Time bound of one transcoding.
    pub timeout: Duration,
}

/// What `ffprobe` found.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// Whether there is a video stream (not just cover art).
    pub has_video: bool,
    /// Whether there is an audio stream.
    pub has_audio: bool,
    /// Frame width and height.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second, as ffprobe's fraction (`"30/1"`) and its value.
    pub frame_rate: (String, f64),
    /// Seconds.
    pub duration: f64,
    /// Bits per second.
    pub bitrate: i64,
}

impl Ffmpeg {
    /// Whether both programs run (checked once per process and pair of paths).
    pub async fn available(&self) -> bool {
        static CHECKED: OnceLock<Mutex<HashMap<(PathBuf, PathBuf), bool>>> = OnceLock::new();
        let checked = CHECKED.get_or_init(Default::default);
        let key = (self.ffmpeg.clone(), self.ffprobe.clone());
        if let Some(ok) = checked.lock().get(&key) {
            return *ok;
        }
        let ok = run(Command::new(&self.ffmpeg).arg("-version"), PROBE_TIMEOUT)
            .await
            .is_ok()
            && run(Command::new(&self.ffprobe).arg("-version"), PROBE_TIMEOUT)
                .await
                .is_ok();
        checked.lock().insert(key, ok);
        ok
    }

    /// Probes `input`, refusing what is not audio or video or is out of bounds.
    pub async fn probe(&self, input: &Path) -> Result<Probe, MediaError> {
        let out = run(
            Command::new(&self.ffprobe)
                .args([
                    "-v",
                    "error",
                    "-print_format",
                    "json",
                    "-show_format",
                    "-show_streams",
                ])
                .arg(input),
            PROBE_TIMEOUT,
        )
        .await
        .map_err(|e| MediaError::Corrupt(e.reason()))?;
        let v: Value =
            serde_json::from_slice(&out).map_err(|e| MediaError::Corrupt(e.to_string()))?;
        let p = parse_probe(&v);
        if !p.has_video && !p.has_audio {
            return Err(MediaError::Corrupt("no audio or video stream".into()));
        }
        if p.duration > MAX_DURATION_SECS {
            return Err(MediaError::OutOfBounds(format!(
                "File is longer than {MAX_DURATION_SECS} seconds"
            )));
        }
        if p.has_video {
            if u64::from(p.width) * u64::from(p.height) > VIDEO_MATRIX_LIMIT {
                return Err(MediaError::OutOfBounds(format!(
                    "Video dimensions exceed the limit of {VIDEO_MATRIX_LIMIT} pixels"
                )));
            }
            if p.frame_rate.1 > VIDEO_FRAME_RATE_LIMIT {
                return Err(MediaError::OutOfBounds(format!(
                    "Video frame rate exceeds {VIDEO_FRAME_RATE_LIMIT} frames per second"
                )));
            }
        }
        Ok(p)
    }

    /// Transcodes `input` to an H.264 MP4 at `output` (`audio: false` for gifv).
    pub async fn to_mp4(&self, input: &Path, output: &Path, audio: bool) -> Result<(), MediaError> {
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(input)
            .args(["-map_metadata", "-1", "-map", "0:v:0"])
            .args(if audio {
                &["-map", "0:a:0?"][..]
            } else {
                &[][..]
            })
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                "-movflags",
                "+faststart",
                "-frames:v",
                &MAX_FRAMES.to_string(),
                "-t",
                &MAX_DURATION_SECS.to_string(),
            ]);
        if audio {
            cmd.args(["-c:a", "aac", "-b:a", "160k"]);
        } else {
            cmd.arg("-an");
        }
        cmd.args(["-f", "mp4"]).arg(output);
        run(&mut cmd, self.timeout)
            .await
            .map(|_| ())
            .map_err(|e| e.into_media_error())
    }

    /// Transcodes `input` to MP3 at `output`.
    pub async fn to_mp3(&self, input: &Path, output: &Path) -> Result<(), MediaError> {
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(input)
            .args([
                "-map_metadata",
                "-1",
                "-vn",
                "-c:a",
                "libmp3lame",
                "-q:a",
                "2",
                "-t",
            ])
            .arg(MAX_DURATION_SECS.to_string())
            .args(["-f", "mp3"])
            .arg(output);
        run(&mut cmd, self.timeout)
            .await
            .map(|_| ())
            .map_err(|e| e.into_media_error())
    }

    /// The first frame of a video as PNG at `output`.
    pub async fn first_frame(&self, input: &Path, output: &Path) -> Result<(), MediaError> {
        let mut cmd = Command::new(&self.ffmpeg);
        cmd.args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(input)
            .args([
                "-map_metadata",
                "-1",
                "-frames:v",
                "1",
                "-f",
                "image2",
                "-c:v",
                "png",
            ])
            .arg(output);
        run(&mut cmd, PROBE_TIMEOUT)
            .await
            .map(|_| ())
            .map_err(|e| e.into_media_error())
    }
}

/// Reads ffprobe's JSON.
fn parse_probe(v: &Value) -> Probe {
    let mut p = Probe::default();
    let num = |v: &Value| -> f64 {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_f64())
            .unwrap_or(0.0)
    };
    for s in v["streams"].as_array().into_iter().flatten() {
        match s["codec_type"].as_str() {
            Some("video") if s["disposition"]["attached_pic"].as_i64() != Some(1) => {
                if p.has_video {
                    continue;
                }
                p.has_video = true;
                p.width = s["width"].as_u64().unwrap_or(0) as u32;
                p.height = s["height"].as_u64().unwrap_or(0) as u32;
                let rate = s["avg_frame_rate"]
                    .as_str()
                    .filter(|r| *r != "0/0")
                    .or(s["r_frame_rate"].as_str())
                    .unwrap_or("0/1")
                    .to_owned();
                let value = match rate.split_once('/') {
                    Some((n, d)) => {
                        let (n, d): (f64, f64) =
                            (n.parse().unwrap_or(0.0), d.parse().unwrap_or(1.0));
                        if d > 0.0 { n / d } else { 0.0 }
                    }
                    None => rate.parse().unwrap_or(0.0),
                };
                p.frame_rate = (rate, value);
            }
            Some("audio") => p.has_audio = true,
            _ => {}
        }
    }
    p.duration = num(&v["format"]["duration"]);
    p.bitrate = num(&v["format"]["bit_rate"]) as i64;
    p
}

/// A failed run.
#[derive(Debug)]
enum RunError {
    /// The program could not be started.
    Spawn(std::io::Error),
    /// It ran past its time bound (and was killed).
    Timeout,
    /// It exited with a failure; its standard error.
    Failed(String),
}

impl RunError {
    fn reason(&self) -> String {
        match self {
            RunError::Spawn(e) => e.to_string(),
            RunError::Timeout => "processing took too long".into(),
            RunError::Failed(msg) => msg.lines().last().unwrap_or("ffmpeg failed").to_owned(),
        }
    }

    fn into_media_error(self) -> MediaError {
        match self {
            RunError::Spawn(e) => MediaError::Internal(e.to_string()),
            RunError::Timeout => MediaError::OutOfBounds("File took too long to process".into()),
            RunError::Failed(_) => MediaError::Corrupt(self.reason()),
        }
    }
}

/// Runs `cmd` to completion within `timeout` (killed beyond it); its standard output.
async fn run(cmd: &mut Command, timeout: Duration) -> Result<Vec<u8>, RunError> {
    cmd.kill_on_drop(true)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().map_err(RunError::Spawn)?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Err(RunError::Timeout),
        Ok(Err(e)) => Err(RunError::Spawn(e)),
        Ok(Ok(out)) if out.status.success() => Ok(out.stdout),
        Ok(Ok(out)) => Err(RunError::Failed(
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(2000)
                .collect(),
        )),
    }
}

/// A temporary file removed when dropped.
pub struct TempFile(PathBuf);

impl TempFile {
    /// A fresh path in the system's temporary directory, with `ext`.
    pub fn new(ext: &str) -> TempFile {
        let token: [u8; 12] = rand::random();
        TempFile(std::env::temp_dir().join(format!("woolly-media-{}.{ext}", hex::encode(token))))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_read() {
        let v: Value = serde_json::json!({
            "streams": [
                {"codec_type": "video", "width": 640, "height": 360, "avg_frame_rate": "30000/1001"},
                {"codec_type": "audio"}
            ],
            "format": {"duration": "5.005", "bit_rate": "123456"}
        });
        let p = parse_probe(&v);
        assert!(p.has_video && p.has_audio);
        assert_eq!((p.width, p.height), (640, 360));
        assert!((p.frame_rate.1 - 29.97).abs() < 0.01);
        assert_eq!(p.bitrate, 123_456);
        assert!((p.duration - 5.005).abs() < 1e-9);
    }
}

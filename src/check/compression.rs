//! `compression`: asks for a large answer with each encoding and for a
//! small one, as a client would (lab 3.5): the large one must come encoded
//! (`Content-Encoding`), decode to the same bytes as the plain answer, be at
//! most `max_percent` of its size and say `Vary: Accept-Encoding`; the small
//! one must come as it is (compressing a few hundred bytes costs CPU and
//! saves nothing). Uses only the public API.

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompressionSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// A large JSON answer.
    pub large: String,
    /// A small one (under the minimum size).
    pub small: String,
    /// The encodings to ask for, one request each.
    #[serde(default = "both")]
    pub encodings: Vec<String>,
    /// The encoded answer's size as a share of the plain one, at most.
    pub max_percent: f64,
}

fn both() -> Vec<String> {
    vec!["gzip".into(), "br".into()]
}

/// One answer as sent.
struct Answer {
    encoding: Option<String>,
    varies: bool,
    body: Vec<u8>,
}

async fn fetch(ctx: &Context, path: &str, accept: &str) -> Result<Answer, CheckError> {
    let url = ctx.url(path);
    let request = ctx.http.get(&url).header("accept-encoding", accept);
    let response = ctx.send(request, &url).await?;
    let status = response.status();
    if !status.is_success() {
        return Err(CheckError::Status {
            url,
            status: status.as_u16(),
            body: String::new(),
        });
    }
    let headers = response.headers();
    let encoding = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let varies = headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("accept-encoding") || v.trim() == "*");
    let body = response
        .bytes()
        .await
        .map_err(|source| CheckError::Http {
            url: url.clone(),
            source,
        })?
        .to_vec();
    Ok(Answer {
        encoding,
        varies,
        body,
    })
}

/// The body decoded, or `None` when it does not decode as its encoding.
fn decode(encoding: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let read = match encoding {
        "gzip" | "x-gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "br" => brotli_decompressor::Decompressor::new(body, 4096).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        _ => return None,
    };
    read.ok().map(|_| out)
}

impl Kind for CompressionSpec {
    const NAME: &'static str = "compression";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(
            ctx.text,
            "check-compression-target",
            percent = self.max_percent,
            encodings = self.encodings.join(", ")
        )
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(30))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let text = &ctx.text;
        let plain = fetch(ctx, &self.large, "identity").await?;
        let mut problems = Vec::new();
        let mut worst: Option<f64> = None;
        for wanted in &self.encodings {
            let answer = fetch(ctx, &self.large, wanted).await?;
            let Some(encoding) = answer.encoding.as_deref() else {
                // Sent as it is: the answer is 100 % of its size.
                worst = Some(worst.map_or(100.0, |w: f64| w.max(100.0)));
                problems.push(msg!(
                    text,
                    "check-compression-not-encoded",
                    path = &self.large,
                    encoding = wanted.as_str(),
                    bytes = answer.body.len()
                ));
                continue;
            };
            if decode(encoding, &answer.body).as_deref() != Some(plain.body.as_slice()) {
                problems.push(msg!(text, "check-compression-corrupt", encoding = encoding));
                continue;
            }
            let percent = 100.0 * answer.body.len() as f64 / plain.body.len().max(1) as f64;
            worst = Some(worst.map_or(percent, |w: f64| w.max(percent)));
            if percent > self.max_percent {
                problems.push(msg!(
                    text,
                    "check-compression-too-large",
                    encoding = encoding,
                    bytes = answer.body.len(),
                    plain = plain.body.len(),
                    percent = format!("{percent:.0}")
                ));
            }
            if !answer.varies {
                problems.push(msg!(text, "check-compression-no-vary", encoding = encoding));
            }
        }
        let small = fetch(ctx, &self.small, &self.encodings.join(", ")).await?;
        if let Some(encoding) = small.encoding.as_deref() {
            problems.push(msg!(
                text,
                "check-compression-small-encoded",
                path = &self.small,
                encoding = encoding
            ));
        }
        let ok = problems.is_empty();
        // Every encoding asked for was judged (a corrupt body is a problem
        // whatever its size): 100 % when none gave a size.
        let percent = worst.unwrap_or(100.0);
        let head = msg!(
            text,
            "check-compression-head",
            path = &self.large,
            plain = plain.body.len(),
            percent = format!("{percent:.0}"),
            target = self.target(ctx)
        );
        let next = next_step(text, ok, || {
            msg!(text, "check-compression-hint", mode = ctx.mode())
        });
        let message = std::iter::once(head)
            .chain(problems)
            .chain(std::iter::once(next))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Outcome::measured(ok, percent, Unit::Percent, message))
    }
}

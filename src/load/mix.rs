//! Traffic mixes: weighted endpoints whose path templates name parameters
//! (`/products/{id}`, `/products?category={cat}`) drawn per request from a
//! distribution — Zipf-skewed ids for the caching labs, uniform ranges,
//! or a fixed list. Templates are compiled once into literal and parameter
//! pieces so a request costs one string build and two binary searches.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::http::uri::PathAndQuery;
use hyper::{Method, Request};
use rand::Rng;

use super::{LoadError, Zipf};

/// How a `{name}` placeholder is filled.
#[derive(Debug, Clone)]
pub enum Param {
    /// Zipf-skewed over a range (shared table).
    Zipf(Arc<Zipf>),
    /// Uniform over `lo..=hi`.
    Uniform { lo: u64, hi: u64 },
    /// One of these values, uniformly (each must be URL-safe).
    Choice(Vec<String>),
}

impl Param {
    /// A Zipf parameter over `lo..=hi`.
    pub fn zipf(lo: u64, hi: u64, exponent: f64) -> Result<Self, LoadError> {
        Ok(Self::Zipf(Arc::new(Zipf::new(lo, hi, exponent)?)))
    }

    fn push<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Self::Zipf(zipf) => write!(out, "{}", zipf.sample(rng)),
            Self::Uniform { lo, hi } => write!(out, "{}", rng.random_range(*lo..=*hi)),
            Self::Choice(values) => {
                out.push_str(&values[rng.random_range(0..values.len())]);
                Ok(())
            }
        };
    }
}

/// One kind of request in a mix.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub method: Method,
    /// Path and query with `{name}` placeholders, e.g. `/products/{id}`.
    pub path: String,
    /// A JSON body (sent with `content-type: application/json`).
    pub body: Option<Bytes>,
    /// Relative weight (0 never drawn).
    pub weight: u32,
}

impl Endpoint {
    /// `GET path` with weight 1.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            body: None,
            weight: 1,
        }
    }

    /// `method path` with a JSON body, weight 1.
    pub fn json(method: Method, path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self {
            method,
            path: path.into(),
            body: Some(body.into()),
            weight: 1,
        }
    }

    /// The same endpoint with another weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }
}

#[derive(Debug)]
enum Piece {
    Literal(String),
    Param(usize),
}

#[derive(Debug)]
struct Compiled {
    endpoint: Endpoint,
    pieces: Vec<Piece>,
}

/// A compiled, weighted set of endpoints.
#[derive(Debug)]
pub struct Mix {
    endpoints: Vec<Compiled>,
    /// Running sums of the weights, for a binary-search draw.
    cumulative: Vec<u64>,
    params: Vec<Param>,
    /// The parameters' names, in the order of `params`.
    names: Vec<String>,
    /// Sent with every request (`Accept-Encoding: gzip` for the compression lab).
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Mix {
    /// Compiles endpoints whose placeholders must all be in `params`.
    pub fn new(
        endpoints: Vec<Endpoint>,
        params: BTreeMap<String, Param>,
    ) -> Result<Self, LoadError> {
        let names: Vec<String> = params.keys().cloned().collect();
        let mut compiled = Vec::with_capacity(endpoints.len());
        let mut cumulative = Vec::with_capacity(endpoints.len());
        let mut sum = 0u64;
        for endpoint in endpoints {
            let pieces = compile(&endpoint.path, &names)?;
            sum += u64::from(endpoint.weight);
            cumulative.push(sum);
            compiled.push(Compiled { endpoint, pieces });
        }
        if sum == 0 {
            return Err(LoadError::Invalid(
                "the mix has no endpoint with a weight > 0".into(),
            ));
        }
        check_params(&params)?;
        Ok(Self {
            endpoints: compiled,
            cumulative,
            params: params.into_values().collect(),
            names,
            headers: Vec::new(),
        })
    }

    /// Sends `headers` with every request too.
    pub fn with_headers(mut self, headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        self.headers = headers;
        self
    }

    /// The headers every request carries besides `Host` and the token.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The endpoints, as given.
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().map(|c| &c.endpoint)
    }

    /// Each placeholder's name and how it is filled.
    pub fn params(&self) -> impl Iterator<Item = (&str, &Param)> {
        self.names.iter().map(String::as_str).zip(&self.params)
    }

    /// One `GET path`, no placeholders.
    pub fn single(path: impl Into<String>) -> Result<Self, LoadError> {
        Self::new(vec![Endpoint::get(path)], BTreeMap::new())
    }

    /// Draws an endpoint and fills its placeholders into a request; the
    /// endpoint's index (in the order given) comes with it, for the
    /// per-endpoint statistics.
    pub(crate) fn request<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        host: &HeaderValue,
        bearer: Option<&HeaderValue>,
    ) -> (usize, Result<Request<Full<Bytes>>, hyper::http::Error>) {
        let pick = rng.random_range(0..self.total_weight());
        let index = self.cumulative.partition_point(|&c| c <= pick);
        (index, self.build(index, rng, host, bearer))
    }

    fn build<R: Rng + ?Sized>(
        &self,
        index: usize,
        rng: &mut R,
        host: &HeaderValue,
        bearer: Option<&HeaderValue>,
    ) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let compiled = &self.endpoints[index];
        let mut path = String::with_capacity(compiled.endpoint.path.len() + 8);
        for piece in &compiled.pieces {
            match piece {
                Piece::Literal(text) => path.push_str(text),
                Piece::Param(i) => self.params[*i].push(rng, &mut path),
            }
        }
        let mut builder = Request::builder()
            .method(compiled.endpoint.method.clone())
            .uri(path)
            .header(HOST, host.clone());
        if let Some(bearer) = bearer {
            builder = builder.header(AUTHORIZATION, bearer.clone());
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value.clone());
        }
        let body = match &compiled.endpoint.body {
            Some(body) => {
                builder =
                    builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                body.clone()
            }
            None => Bytes::new(),
        };
        builder.body(Full::new(body))
    }

    fn total_weight(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(1)
    }
}

/// Splits a template into pieces, checking that it is a valid path once the
/// placeholders are filled and that every placeholder has a parameter.
fn compile(template: &str, names: &[String]) -> Result<Vec<Piece>, LoadError> {
    let invalid = |reason: String| LoadError::Invalid(format!("path {template:?}: {reason}"));
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Literal(rest[..open].to_string()));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| invalid("unclosed '{'".into()))?;
        let name = &rest[open + 1..open + close];
        let index = names
            .iter()
            .position(|n| n.as_str() == name)
            .ok_or_else(|| invalid(format!("no parameter named {{{name}}}")))?;
        pieces.push(Piece::Param(index));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_string()));
    }
    let sample = template.replace(['{', '}'], "x");
    if !sample.starts_with('/') || PathAndQuery::try_from(sample.as_str()).is_err() {
        return Err(invalid("must start with '/' and be a valid path".into()));
    }
    Ok(pieces)
}

fn check_params(params: &BTreeMap<String, Param>) -> Result<(), LoadError> {
    for (name, param) in params {
        if let Param::Uniform { lo, hi } = param
            && lo > hi
        {
            return Err(LoadError::Invalid(format!(
                "parameter {{{name}}}: the range {lo}..={hi} is empty"
            )));
        }
        if let Param::Choice(values) = param {
            let bad = values.is_empty()
                || values
                    .iter()
                    .any(|v| PathAndQuery::try_from(format!("/{v}").as_str()).is_err());
            if bad {
                return Err(LoadError::Invalid(format!(
                    "parameter {{{name}}}: choices must be non-empty and URL-safe"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    fn host() -> HeaderValue {
        HeaderValue::from_static("shop")
    }

    #[test]
    fn weights_and_placeholders() {
        let params = BTreeMap::from([
            ("id".to_string(), Param::zipf(1, 100, 1.0).unwrap()),
            (
                "cat".to_string(),
                Param::Choice(vec!["3".into(), "4".into()]),
            ),
        ]);
        let mix = Mix::new(
            vec![
                Endpoint::get("/products/{id}").weight(80),
                Endpoint::get("/products?category={cat}").weight(15),
                Endpoint::json(Method::PUT, "/products/{id}", "{}").weight(5),
            ],
            params,
        )
        .unwrap();
        let mut rng = SmallRng::seed_from_u64(3);
        let (mut detail, mut list, mut put) = (0, 0, 0);
        for _ in 0..10_000 {
            let (index, request) = mix.request(&mut rng, &host(), None);
            let request = request.unwrap();
            let path = request.uri().to_string();
            match *request.method() {
                Method::PUT => {
                    assert_eq!(index, 2);
                    put += 1
                }
                _ if path.starts_with("/products?category=") => list += 1,
                _ => detail += 1,
            }
            assert!(!path.contains('{'), "{path}");
        }
        assert!((7_600..8_400).contains(&detail), "{detail}");
        assert!((1_200..1_800).contains(&list), "{list}");
        assert!((300..700).contains(&put), "{put}");
    }

    #[test]
    fn sets_host_bearer_and_json() {
        let mix = Mix::new(
            vec![Endpoint::json(Method::POST, "/orders", "{}")],
            BTreeMap::new(),
        )
        .unwrap();
        let bearer = HeaderValue::from_static("Bearer t");
        let request = mix
            .request(&mut SmallRng::seed_from_u64(1), &host(), Some(&bearer))
            .1
            .unwrap();
        assert_eq!(request.headers()[HOST], "shop");
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer t");
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn refuses_unknown_placeholders_and_zero_weights() {
        assert!(Mix::single("/products/{id}").is_err());
        assert!(Mix::single("products").is_err());
        assert!(Mix::new(vec![Endpoint::get("/").weight(0)], BTreeMap::new()).is_err());
    }
}

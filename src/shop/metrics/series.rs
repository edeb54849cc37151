//! The handles of the per-request series, registered once per label set
//! and kept per route, so recording a request costs a map read and three
//! atomic updates — not, as the `metrics` macros do on every call, a label
//! vector, the label strings and a registry lookup per series (allocations
//! that, at tens of thousands of requests a second, were most of what
//! `/metrics` cost the hot path).
//!
//! The map is read through `arc-swap` (no lock on the request path) and
//! copied on a new label set, which happens a handful of times per route.
//! Routes labelled by their raw path (lab 4.1's bug) are a new label set on
//! nearly every request: those are not cached, and go through the macros
//! as before — that route's cost is the lesson.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::PrometheusRecorder;

use super::names;

/// One request's labels.
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a> {
    pub method: &'static str,
    pub route: &'a str,
    pub status: u16,
}

/// Handles of the series one route's requests update.
#[derive(Default, Clone)]
struct RouteSeries {
    /// `http_request_queries` (labelled by route only).
    queries: Option<Histogram>,
    /// Duration and count per (method, status): a few per route.
    by_answer: Vec<Answer>,
}

#[derive(Clone)]
struct Answer {
    method: &'static str,
    status: u16,
    duration: Histogram,
    requests: Counter,
}

/// Registered handles by route.
#[derive(Default)]
pub struct SeriesCache {
    routes: ArcSwap<HashMap<Box<str>, Arc<RouteSeries>>>,
}

impl SeriesCache {
    /// Records one request through the cached handles, registering them
    /// with `recorder` first if this label set is new.
    pub fn record(
        &self,
        recorder: &PrometheusRecorder,
        labels: Labels<'_>,
        seconds: f64,
        queries: Option<u32>,
    ) {
        let routes = self.routes.load();
        let cached = routes.get(labels.route).and_then(|series| {
            let answer = series
                .by_answer
                .iter()
                .find(|a| a.method == labels.method && a.status == labels.status)?;
            Some((answer.clone(), series.queries.clone()))
        });
        drop(routes);
        let (answer, queries_histogram) = match cached {
            Some((answer, Some(q))) => (answer, q),
            _ => self.register(recorder, labels),
        };
        answer.duration.record(seconds);
        answer.requests.increment(1);
        if let Some(queries) = queries {
            queries_histogram.record(f64::from(queries));
        }
    }

    /// Registers the label set's handles and publishes them.
    fn register(&self, recorder: &PrometheusRecorder, labels: Labels<'_>) -> (Answer, Histogram) {
        let route = labels.route.to_string();
        let (duration, requests, queries) = metrics::with_local_recorder(recorder, || {
            (
                metrics::histogram!(names::REQUEST_DURATION,
                    "method" => labels.method, "route" => route.clone(),
                    "status_class" => status_class(labels.status)),
                metrics::counter!(names::REQUESTS,
                    "method" => labels.method, "route" => route.clone(),
                    "status" => labels.status.to_string()),
                metrics::histogram!(names::REQUEST_QUERIES, "route" => route.clone()),
            )
        });
        let answer = Answer {
            method: labels.method,
            status: labels.status,
            duration,
            requests,
        };
        self.routes.rcu(|routes| {
            let mut routes = HashMap::clone(routes);
            let series = routes.entry(labels.route.into()).or_default();
            let series = Arc::make_mut(series);
            series.queries.get_or_insert_with(|| queries.clone());
            if !series
                .by_answer
                .iter()
                .any(|a| a.method == answer.method && a.status == answer.status)
            {
                series.by_answer.push(answer.clone());
            }
            routes
        });
        (answer, queries)
    }
}

/// `2xx`, `4xx`…: the duration histogram's label, so its series stay few.
pub fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

//! HTTP for the Neon and GitHub clients: one transport (reqwest; `fetch` on wasm) and one
//! retry loop, so both APIs get the same backoff, `Retry-After` handling and timeouts.

pub mod retry;

use crate::host::Host;
use crate::runtime::Runtime;
use retry::{is_retryable_status, parse_retry_after, RetryPolicy};
use std::collections::HashMap;
use std::time::Duration;

/// Neon's branch creation regularly takes longer than 10 s (create-branch-action's 10 s
/// timeout is its most reported bug), so a request gets a full minute.
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
    /// Safe to repeat after a lost response. POST is not: a retried create could make a
    /// second branch, so callers must look the object up first (see `HttpError::Uncertain`).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path and query, appended to the client's base URL.
    pub path: String,
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Response {
    pub fn json<T: serde::de::DeserializeOwned>(&self, service: &str) -> Result<T, HttpError> {
        serde_json::from_str(&self.body).map_err(|e| HttpError::Decode {
            service: service.to_string(),
            message: e.to_string(),
        })
    }
}

/// What a transport reports when no HTTP status came back.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportError {
    Timeout,
    /// Connection refused, reset or dropped before a response.
    Network(String),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("{service} answered {status} to {method} {path}: {message}")]
    Status {
        service: String,
        method: &'static str,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{service} did not answer {method} {path} after {attempts} attempts ({cause}); check the service's status and the runner's network, then re-run the job")]
    Unreachable {
        service: String,
        method: &'static str,
        path: String,
        attempts: u32,
        cause: String,
    },
    /// A non-idempotent request whose response was lost: it may or may not have happened.
    #[error("{service}: the response to {method} {path} was lost ({cause})")]
    Uncertain {
        service: String,
        method: &'static str,
        path: String,
        cause: String,
    },
    #[error("{service} sent a response the action cannot read ({message}); this is a bug or an API change: please report it")]
    Decode { service: String, message: String },
}

impl HttpError {
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Something that sends one request and returns the raw answer. `ReqwestTransport` in
/// production; unit tests script answers to exercise the retry loop.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, request: &Request) -> Result<Response, TransportError>;
}

pub struct ReqwestTransport {
    client: reqwest::Client,
    base_url: String,
    headers: Vec<(String, String)>,
    timeout: Duration,
}

impl ReqwestTransport {
    pub fn new(base_url: &str, headers: Vec<(String, String)>, timeout_ms: u64) -> Self {
        ReqwestTransport {
            client: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_string(),
            headers,
            timeout: Duration::from_millis(timeout_ms),
        }
    }
}

impl Transport for ReqwestTransport {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let url = format!("{}{}", self.base_url, request.path);
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &url).timeout(self.timeout);
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let body = response.text().await.map_err(classify)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        return TransportError::Timeout;
    }
    // On wasm an aborted fetch (our timeout) surfaces as an AbortError, not is_timeout().
    let text = error.to_string();
    if text.contains("AbortError") || text.contains("aborted") {
        TransportError::Timeout
    } else {
        TransportError::Network(strip_url(&text))
    }
}

/// reqwest's messages include the full URL; keep the message, not the query string.
fn strip_url(text: &str) -> String {
    crate::url::scrub_credentials(text)
}

/// A service's client: transport + name + retry policy.
pub struct HttpClient<T: Transport = ReqwestTransport> {
    pub service: &'static str,
    pub transport: T,
    pub policy: RetryPolicy,
}

impl<T: Transport> HttpClient<T> {
    /// Send with the retry policy. Non-retryable statuses and exhausted retries come back
    /// as `HttpError::Status` with the service's own message.
    pub async fn send<H: Host>(
        &self,
        rt: &Runtime<H>,
        request: &Request,
    ) -> Result<Response, HttpError> {
        let mut attempt = 1;
        loop {
            let outcome = self.transport.send(request).await;
            let (retry_after, why) = match &outcome {
                // A gateway error may come after the request was carried out: "the request
                // may have reached the server and been successfully processed" (Neon's
                // spec, on retrying POST). Only 423, 429 and 503 say it was not.
                Ok(response)
                    if !request.method.is_idempotent() && matches!(response.status, 502 | 504) =>
                {
                    return Err(HttpError::Uncertain {
                        service: self.service.to_string(),
                        method: request.method.as_str(),
                        path: request.path.clone(),
                        cause: format!("status {}", response.status),
                    });
                }
                Ok(response) if is_retryable_status(response.status) => (
                    response
                        .headers
                        .get("retry-after")
                        .and_then(|v| parse_retry_after(v, rt.host.now_ms())),
                    format!("status {}", response.status),
                ),
                Ok(response) if response.status >= 400 => {
                    return Err(self.status_error(request, response))
                }
                Ok(response) => return Ok(response.clone()),
                Err(error) => {
                    let cause = match error {
                        TransportError::Timeout => "timed out".to_string(),
                        TransportError::Network(m) => m.clone(),
                    };
                    if !request.method.is_idempotent() {
                        return Err(HttpError::Uncertain {
                            service: self.service.to_string(),
                            method: request.method.as_str(),
                            path: request.path.clone(),
                            cause,
                        });
                    }
                    (None, cause)
                }
            };
            match self.policy.delay_ms(attempt, retry_after, rt.host.random()) {
                Some(delay) => {
                    rt.info(&format!(
                        "{}: {} {} got {why}; retrying in {:.1} s (attempt {}/{})",
                        self.service,
                        request.method.as_str(),
                        request.path,
                        delay as f64 / 1000.0,
                        attempt + 1,
                        self.policy.max_attempts
                    ));
                    rt.host.sleep(delay).await;
                    attempt += 1;
                }
                None => {
                    return Err(match outcome {
                        Ok(response) => self.status_error(request, &response),
                        Err(_) => HttpError::Unreachable {
                            service: self.service.to_string(),
                            method: request.method.as_str(),
                            path: request.path.clone(),
                            attempts: attempt,
                            cause: why,
                        },
                    })
                }
            }
        }
    }

    fn status_error(&self, request: &Request, response: &Response) -> HttpError {
        HttpError::Status {
            service: self.service.to_string(),
            method: request.method.as_str(),
            path: request.path.clone(),
            status: response.status,
            message: error_message(&response.body),
        }
    }
}

/// The human part of an API error body: Neon sends `{code, message}`, GitHub `{message}`.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| body.chars().take(300).collect());
    if message.trim().is_empty() {
        "no error message".to_string()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;
    use std::cell::RefCell;

    /// Answers from a script, in order; records what was sent.
    struct Scripted {
        answers: RefCell<Vec<Result<Response, TransportError>>>,
        sent: RefCell<Vec<String>>,
    }

    fn status(code: u16, retry_after: Option<&str>) -> Result<Response, TransportError> {
        let mut headers = HashMap::new();
        if let Some(ra) = retry_after {
            headers.insert("retry-after".to_string(), ra.to_string());
        }
        Ok(Response {
            status: code,
            headers,
            body: format!("{{\"code\":\"\",\"message\":\"status {code}\"}}"),
        })
    }

    impl Transport for Scripted {
        async fn send(&self, request: &Request) -> Result<Response, TransportError> {
            self.sent.borrow_mut().push(request.path.clone());
            self.answers.borrow_mut().remove(0)
        }
    }

    fn client(answers: Vec<Result<Response, TransportError>>) -> HttpClient<Scripted> {
        HttpClient {
            service: "Neon API",
            transport: Scripted {
                answers: RefCell::new(answers),
                sent: RefCell::new(Vec::new()),
            },
            policy: RetryPolicy::default(),
        }
    }

    fn get(path: &str) -> Request {
        Request {
            method: Method::Get,
            path: path.into(),
            body: None,
        }
    }

    #[tokio::test]
    async fn retries_transient_statuses_honouring_retry_after() {
        let rt = Runtime::new(TestHost::new());
        let c = client(vec![
            status(423, None),
            status(429, Some("3")),
            Err(TransportError::Timeout),
            status(503, None),
            status(200, None),
        ]);
        let response = c.send(&rt, &get("/projects/p")).await.unwrap();
        assert_eq!(response.status, 200);
        let sleeps = rt.host.sleeps.borrow().clone();
        assert_eq!(sleeps.len(), 4);
        assert_eq!(sleeps[1], 3000, "Retry-After is honoured: {sleeps:?}");
        assert!(
            sleeps[2] >= 500 && sleeps[3] >= 1000,
            "backoff grows: {sleeps:?}"
        );
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_carry_the_api_message() {
        let rt = Runtime::new(TestHost::new());
        let c = client(vec![status(404, None)]);
        let err = c.send(&rt, &get("/projects/nope")).await.unwrap_err();
        assert_eq!(err.status(), Some(404));
        assert!(err.to_string().contains("status 404"));
        assert!(rt.host.sleeps.borrow().is_empty());
    }

    #[tokio::test]
    async fn a_lost_post_is_reported_uncertain_never_repeated() {
        let rt = Runtime::new(TestHost::new());
        let c = client(vec![Err(TransportError::Network("reset".into()))]);
        let post = Request {
            method: Method::Post,
            path: "/projects/p/branches".into(),
            body: None,
        };
        let err = c.send(&rt, &post).await.unwrap_err();
        assert!(matches!(err, HttpError::Uncertain { .. }));
        assert_eq!(c.transport.sent.borrow().len(), 1);
    }

    #[tokio::test]
    async fn gives_up_after_the_last_attempt() {
        let rt = Runtime::new(TestHost::new());
        let c = client((0..8).map(|_| status(503, None)).collect());
        let err = c.send(&rt, &get("/x")).await.unwrap_err();
        assert_eq!(err.status(), Some(503));
        assert_eq!(c.transport.sent.borrow().len(), 8);
    }
}

//! Slack incoming webhook: one POST per sync (success or failure) and per cancelled job.
//! A Slack failure is a warning, never a failed step: the twin's state does not depend on it.

use crate::host::Host;
use crate::http::{HttpClient, Method, Request, ReqwestTransport};
use crate::runtime::Runtime;

/// Post `payload` (`text` + `blocks`, from `Report::slack_payload`) to the webhook.
pub async fn notify_slack<H: Host>(rt: &Runtime<H>, url: &str, payload: serde_json::Value) {
    let http = HttpClient {
        service: "Slack webhook",
        transport: ReqwestTransport::new(
            url,
            vec![("user-agent".into(), crate::USER_AGENT.into())],
            crate::http_timeout_ms(rt),
        ),
        policy: Default::default(),
    };
    let request = Request {
        method: Method::Post,
        path: String::new(),
        body: Some(payload),
    };
    match http.send(rt, &request).await {
        Ok(_) => rt.info("Slack notified"),
        Err(e) => rt.warning(&format!("could not notify Slack: {e}")),
    }
}

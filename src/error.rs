//! The action's error type. Every variant's message tells the user what went wrong *and*
//! what to do; the shim prints it as the one `::error::` line of a failed run.

use crate::host::HostError;
use crate::http::HttpError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A missing or invalid input: names the input, as written in the workflow.
    #[error("input `{input}`: {message}")]
    Input { input: String, message: String },

    /// The workflow event does not fit the mode, or its payload cannot be read.
    #[error("{0}")]
    Event(String),

    #[error(transparent)]
    Http(#[from] HttpError),

    #[error(transparent)]
    Host(#[from] HostError),

    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    pub fn input(input: &str, message: impl Into<String>) -> Self {
        Error::Input {
            input: input.to_string(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

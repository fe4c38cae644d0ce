//! What the local fakes of payment gateways share: a server on a free port that hands
//! every request to one handler, and reading a request's headers as text.

#![allow(dead_code, clippy::unwrap_used)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method};
use std::convert::Infallible;
use std::net::SocketAddr;

/// Serves `app` on a free local port until the test ends; its address.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// A request as a fake reads it: the parts it records and answers by.
pub struct Incoming {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Incoming {
    /// A header as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl<S: Send + Sync> FromRequest<S> for Incoming {
    type Rejection = Infallible;

    async fn from_request(req: Request, _: &S) -> Result<Self, Infallible> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        Ok(Incoming {
            method: parts.method,
            path: parts.uri.path().to_string(),
            headers: parts.headers,
            body,
        })
    }
}

//! The HTTP client every AWS SDK call goes through (the SDK's default client,
//! wrapped), so AWS replies follow the same rules as the SaaS ones ([`crate::http`]):
//!
//! - a loopback endpoint (`localhost`, `127.0.0.0/8`, `::1`: the emulator, moto,
//!   LocalStack) is never reached through a proxy — the signature and session
//!   token stay on this machine, and the local server stays reachable; any
//!   other endpoint follows `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` /
//!   `NO_PROXY` as awscli does;
//! - a reply body is cut off at [`BODY_LIMIT`]: an endpoint that never stops
//!   answering costs at most that much memory, and the call fails saying so.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;

/// The most of an AWS reply body we read. The largest reply the tool asks for
/// (a page of traces, of groups, of sampling rules) is far smaller.
pub(crate) const BODY_LIMIT: u64 = 2 * 1024 * 1024;

/// The client for `aws-config`'s loader.
pub(crate) fn client() -> SharedHttpClient {
    SharedHttpClient::new(GuardedClient {
        direct: hyper_client(ProxyConfig::disabled()),
        proxied: hyper_client(ProxyConfig::from_env()),
    })
}

/// The SDK's default hyper 1 client (rustls with aws-lc), with `proxy`.
fn hyper_client(proxy: ProxyConfig) -> SharedHttpClient {
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(proxy.clone()));
        builder.build()
    })
}

#[derive(Debug)]
struct GuardedClient {
    direct: SharedHttpClient,
    proxied: SharedHttpClient,
}

impl HttpClient for GuardedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(GuardedConnector {
            direct: self.direct.http_connector(settings, components),
            proxied: self.proxied.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct GuardedConnector {
    direct: SharedHttpConnector,
    proxied: SharedHttpConnector,
}

impl HttpConnector for GuardedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let loopback =
            reqwest::Url::parse(request.uri()).is_ok_and(|url| crate::http::is_loopback(&url));
        let connector = if loopback {
            &self.direct
        } else {
            &self.proxied
        };
        let reply = connector.call(request);
        HttpConnectorFuture::new(async move {
            let response = reply.await?;
            Ok(response.map(|body| {
                SdkBody::from_body_1_x(Capped {
                    inner: body,
                    read: 0,
                })
            }))
        })
    }
}

/// The error a reply body ends with once it passes [`BODY_LIMIT`].
#[derive(Debug, thiserror::Error)]
#[error("the reply was larger than {} MiB: cut off", BODY_LIMIT / (1024 * 1024))]
pub(crate) struct TooLarge;

/// A body that fails with [`TooLarge`] past [`BODY_LIMIT`] bytes.
struct Capped {
    inner: SdkBody,
    read: u64,
}

impl http_body::Body for Capped {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.read > BODY_LIMIT {
            return Poll::Ready(Some(Err(Box::new(TooLarge))));
        }
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.read += data.len() as u64;
                    if self.read > BODY_LIMIT {
                        return Poll::Ready(Some(Err(Box::new(TooLarge))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_body_past_the_limit_fails_and_a_small_one_is_whole() {
        let small = Capped {
            inner: SdkBody::from("{\"Groups\": []}"),
            read: 0,
        };
        let bytes = small.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"{\"Groups\": []}");
        let big = Capped {
            inner: SdkBody::from(vec![b' '; BODY_LIMIT as usize + 1]),
            read: 0,
        };
        let err = big.collect().await.unwrap_err();
        assert!(err.downcast_ref::<TooLarge>().is_some(), "{err}");
    }
}

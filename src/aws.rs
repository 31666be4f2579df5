//! AWS configuration and AWS error classification, shared by the `xray` and `logs` modules.
//!
//! Loading goes through `aws-config`'s default chain (profiles, environment, SSO,
//! IMDS, `AWS_ENDPOINT_URL*`, `AWS_MAX_ATTEMPTS`), so every standard AWS setting works
//! as it does for awscli. Our flags only override it. The SDK has no operation timeout
//! by default; we always set one.

use std::fmt;
use std::time::Duration;

use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_sdk_xray::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// The AWS part of the validated configuration.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// Static credentials (those the app will use, for `verify`); `None`: the
    /// standard chain.
    pub credentials: Option<StaticCredentials>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub timeout: Duration,
}

/// Credentials given as values (never shown; the secret is masked in Debug).
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: crate::secret::Secret,
    pub session_token: Option<crate::secret::Secret>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StaticCredentials({})",
            crate::secret::mask(&self.access_key_id)
        )
    }
}

/// A loaded AWS configuration with a known region.
#[derive(Debug, Clone)]
pub struct Aws {
    pub sdk: SdkConfig,
    pub region: String,
}

impl Aws {
    /// Loads the SDK configuration. The only I/O is reading the AWS config files.
    pub async fn load(settings: &AwsSettings) -> Result<Aws, AwsError> {
        // Loopback never through a proxy; replies capped (see crate::aws_http).
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).http_client(crate::aws_http::client());
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        // The config and credentials files go through the file guard (a FIFO or
        // /dev/zero named by AWS_CONFIG_FILE must not hang or fill memory).
        let files = profile_files()?;
        loader = loader.profile_files(files.clone());
        // As awscli: last, the instance's region (EC2, Cloud9); off with
        // AWS_EC2_METADATA_DISABLED=true.
        loader = loader.region(
            region_chain(settings, files)
                .or_else(aws_config::imds::region::ImdsRegionProvider::builder().build()),
        );
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(c) = &settings.credentials {
            loader = loader.credentials_provider(aws_sdk_xray::config::Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.expose().to_string(),
                c.session_token.as_ref().map(|t| t.expose().to_string()),
                None,
                "the app's environment",
            ));
        }
        let timeout = settings.timeout.max(Duration::from_millis(200));
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .operation_attempt_timeout((timeout / 2).max(Duration::from_millis(100)))
                .operation_timeout(timeout)
                .build(),
        );
        let sdk = loader.load().await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or(AwsError::NoRegion)?;
        check_region(&region)?;
        Ok(Aws { sdk, region })
    }

    /// Where calls to `service` go, for messages.
    pub fn endpoint_label(&self, service: &str) -> String {
        match self.sdk.endpoint_url() {
            Some(url) => format!("{service} at {url}"),
            None => format!("{service} in {}", self.region),
        }
    }
}

/// Checks a region's shape (`us-east-1`, `us-gov-west-1`, `us-isob-east-1`)
/// before it reaches a file or a request.
pub(crate) fn check_region(region: &str) -> Result<(), AwsError> {
    let bad = || AwsError::BadRegion(region.to_string());
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let parts: Vec<&str> = region.split('-').collect();
    let (number, rest) = parts.split_last().ok_or_else(bad)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let ok = match rest {
        [country, area] => country.len() == 2 && lower(country) && lower(area),
        [country, partition, area] => {
            country.len() == 2
                && lower(country)
                && (*partition == "gov"
                    || partition
                        .strip_prefix("iso")
                        .is_some_and(|s| s.bytes().all(|b| b.is_ascii_lowercase())))
                && lower(area)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Checks an endpoint URL (`--endpoint-url`, `AWS_ENDPOINT_URL*`): an http(s)
/// URL with a host. The SDK panics on an empty one.
pub(crate) fn check_endpoint(what: &str, url: &str) -> Result<(), AwsError> {
    let bad = |reason: &str| AwsError::BadEndpoint {
        what: what.to_string(),
        url: url.to_string(),
        reason: reason.to_string(),
    };
    if url.is_empty() {
        return Err(bad("it is empty"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("only http and https are supported"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    Ok(())
}

/// The environment variables the SDK takes endpoints from, for the services we call.
pub(crate) const ENDPOINT_VARS: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_XRAY",
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "AWS_ENDPOINT_URL_STS",
];

/// Where the region comes from, in order: `--region`, `AWS_REGION` /
/// `AWS_DEFAULT_REGION`, the profile's `region`: the SDK's own providers.
/// [`Aws::load`] then asks the instance metadata; commands that only write files
/// do not.
fn region_chain(settings: &AwsSettings, files: ProfileFiles) -> RegionProviderChain {
    let mut profile = ProfileFileRegionProvider::builder().profile_files(files);
    if let Some(name) = &settings.profile {
        profile = profile.profile_name(name);
    }
    RegionProviderChain::first_try(settings.region.clone().map(Region::new))
        .or_else(EnvironmentVariableRegionProvider::new())
        .or_else(profile.build())
}

/// The region [`Aws::load`] would use, without loading anything else (for
/// commands that only write files).
pub(crate) async fn configured_region(settings: &AwsSettings) -> Option<String> {
    let files = profile_files().ok()?;
    region_chain(settings, files)
        .region()
        .await
        .map(|r| r.to_string())
}

/// The AWS config and credentials files (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`),
/// read through [`crate::files::read`] — regular files only, capped — and
/// handed to the SDK as contents.
fn profile_files() -> Result<ProfileFiles, AwsError> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from);
    let path_of = |var: &str, default: &str| match std::env::var(var).ok().filter(|v| !v.is_empty())
    {
        Some(v) => match (v.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => Some(home.join(rest)),
            _ => Some(std::path::PathBuf::from(v)),
        },
        None => home.as_ref().map(|h| h.join(".aws").join(default)),
    };
    let mut builder = ProfileFiles::builder();
    for (kind, var, default) in [
        (ProfileFileKind::Config, "AWS_CONFIG_FILE", "config"),
        (
            ProfileFileKind::Credentials,
            "AWS_SHARED_CREDENTIALS_FILE",
            "credentials",
        ),
    ] {
        let text = match path_of(var, default) {
            Some(path) => crate::files::read(&path)
                .map_err(|e| AwsError::ConfigFile {
                    var: var.to_string(),
                    message: e.to_string(),
                })?
                .unwrap_or_default(),
            None => String::new(),
        };
        builder = builder.with_contents(kind, text);
    }
    Ok(builder.build())
}

/// The most pages any list is read to: an endpoint that answers every page with
/// a new next token is stopped here (or at the deadline, whichever is first).
pub(crate) const MAX_PAGES: usize = 100;

/// Reads the pages of one paginated call within one deadline (the `--timeout`
/// of the whole listing, not of each page) and at most [`MAX_PAGES`] pages.
pub(crate) struct Pages {
    deadline: tokio::time::Instant,
    read: usize,
    operation: &'static str,
    target: String,
}

impl Pages {
    pub(crate) fn new(aws: &Aws, operation: &'static str, target: String) -> Pages {
        let timeout = aws
            .sdk
            .timeout_config()
            .and_then(|t| t.operation_timeout())
            .unwrap_or(Duration::from_secs(30));
        Pages {
            deadline: tokio::time::Instant::now() + timeout,
            read: 0,
            operation,
            target,
        }
    }

    fn fail(&self, failure: CallFailure, message: String) -> AwsError {
        AwsError::Call(Box::new(CallError {
            operation: self.operation,
            target: self.target.clone(),
            failure,
            detail: message.clone(),
            message,
        }))
    }

    /// The next page of `pages` (the SDK paginator's `next()`), `None` after
    /// the last one.
    pub(crate) async fn next<O, E, R>(
        &mut self,
        page: impl std::future::Future<Output = Option<Result<O, SdkError<E, R>>>>,
    ) -> Result<Option<O>, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + 'static,
    {
        if self.read >= MAX_PAGES {
            return Err(self.fail(
                CallFailure::Unexpected,
                format!("more than {MAX_PAGES} pages, each with a next token: stopped"),
            ));
        }
        self.read += 1;
        match tokio::time::timeout_at(self.deadline, page).await {
            Err(_) => Err(self.fail(CallFailure::Timeout, "no answer in time".into())),
            Ok(None) => Ok(None),
            Ok(Some(Ok(page))) => Ok(Some(page)),
            Ok(Some(Err(e))) => Err(AwsError::from_sdk(self.operation, self.target.clone(), e)),
        }
    }
}

/// What went wrong with an AWS call, in terms a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// No credentials could be found at all.
    NoCredentials,
    /// The service rejected the credentials.
    AuthRejected { code: String },
    /// The credentials are valid but lack permission.
    AccessDenied { code: String },
    /// Throttled even after the SDK's retries.
    Throttled,
    /// No answer within the timeout.
    Timeout,
    /// Could not connect at all.
    Connect,
    /// The service answered with another error.
    Service { code: String },
    /// The endpoint does not behave like an AWS API: a reply past the size
    /// limit, or a list that never ends.
    Unexpected,
    /// Something else (a response we could not read, a construction failure).
    Other,
}

/// A failed AWS call: which operation, where, and why.
#[derive(Debug, Clone)]
pub struct CallError {
    pub operation: &'static str,
    pub target: String,
    pub failure: CallFailure,
    pub message: String,
    /// The full error chain, shown with `-v` only.
    pub detail: String,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {} failed: {}",
            self.operation, self.target, self.message
        )
    }
}

/// Errors of the AWS edge.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS region is configured")]
    NoRegion,
    #[error("{:?} is not an AWS region", crate::plan::clip(.0))]
    BadRegion(String),
    #[error("{what} {:?} is not an endpoint URL: {reason}", crate::plan::clip(url))]
    BadEndpoint {
        what: String,
        url: String,
        reason: String,
    },
    #[error("{message}")]
    ConfigFile { var: String, message: String },
    #[error("{0}")]
    Call(Box<CallError>),
}

const AUTH_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
];
const DENIED_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
];
const THROTTLE_CODES: &[&str] = &[
    "ThrottledException",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

impl AwsError {
    /// Classifies an SDK error from `operation` against `target` (e.g. "X-Ray in us-east-1").
    pub fn from_sdk<E, R>(operation: &'static str, target: String, err: SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + 'static,
    {
        let detail = DisplayErrorContext(&err).to_string();
        let mentions_credentials = {
            let d = detail.to_ascii_lowercase();
            d.contains("credential") || d.contains("identity")
        };
        let too_large = {
            let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
            let mut found = None;
            while let Some(c) = cause {
                if let Some(t) = c.downcast_ref::<crate::aws_http::TooLarge>() {
                    found = Some(t.to_string());
                }
                cause = c.source();
            }
            found
        };
        let (failure, message) = match &err {
            _ if too_large.is_some() => (CallFailure::Unexpected, too_large.unwrap_or_default()),
            SdkError::ServiceError(se) => {
                let code = se.err().code().unwrap_or("UnknownError").to_string();
                let text = se.err().message().unwrap_or("").to_string();
                let message = if text.is_empty() {
                    code.clone()
                } else {
                    format!("{code}: {text}")
                };
                let failure = if AUTH_CODES.contains(&code.as_str()) {
                    CallFailure::AuthRejected { code }
                } else if DENIED_CODES.contains(&code.as_str()) {
                    CallFailure::AccessDenied { code }
                } else if THROTTLE_CODES.contains(&code.as_str()) {
                    CallFailure::Throttled
                } else {
                    CallFailure::Service { code }
                };
                (failure, message)
            }
            SdkError::TimeoutError(_) => (CallFailure::Timeout, "no answer in time".to_string()),
            SdkError::DispatchFailure(d) if d.is_timeout() => {
                (CallFailure::Timeout, "no answer in time".to_string())
            }
            SdkError::DispatchFailure(d) if d.is_io() => (
                CallFailure::Connect,
                format!("cannot connect: {}", crate::cause::innermost_cause(&err)),
            ),
            SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
                if mentions_credentials =>
            {
                (
                    CallFailure::NoCredentials,
                    "no AWS credentials found".to_string(),
                )
            }
            SdkError::ResponseError(_) => (
                CallFailure::Other,
                "the response could not be read".to_string(),
            ),
            _ => (CallFailure::Other, crate::cause::innermost_cause(&err)),
        };
        AwsError::Call(Box::new(CallError {
            operation,
            target,
            failure,
            message,
            detail,
        }))
    }

    /// The classified failure of a call, if this was one.
    pub fn failure(&self) -> Option<&CallFailure> {
        match self {
            AwsError::Call(c) => Some(&c.failure),
            _ => None,
        }
    }

    pub fn is_auth(&self) -> bool {
        matches!(
            self.failure(),
            Some(CallFailure::NoCredentials | CallFailure::AuthRejected { .. })
        )
    }

    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            AwsError::NoRegion
                | AwsError::BadRegion(_)
                | AwsError::BadEndpoint { .. }
                | AwsError::ConfigFile { .. }
        )
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            AwsError::Call(c) => Some(&c.detail),
            _ => None,
        }
    }

    pub fn help(&self) -> Option<String> {
        let call = match self {
            AwsError::NoRegion => {
                return Some(
                    "pass --region or set AWS_REGION (or a region in your AWS profile)".into(),
                )
            }
            AwsError::BadRegion(_) => return Some(
                "a region looks like us-east-1 or ca-central-1 (pass --region, or set AWS_REGION)"
                    .into(),
            ),
            AwsError::BadEndpoint { what, .. } => {
                return Some(format!(
                    "give a URL like http://localhost:4566, or unset {what}"
                ))
            }
            AwsError::ConfigFile { var, .. } => {
                return Some(format!(
                    "{var} (or the default under ~/.aws) must name a regular AWS config file; unset it or fix the path"
                ))
            }
            AwsError::Call(c) => c,
        };
        Some(match &call.failure {
            CallFailure::NoCredentials => {
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile (run `aws configure` or `aws sso login` first)".into()
            }
            CallFailure::AuthRejected { .. } => {
                "the credentials were rejected: check they are current and for this account (`aws sts get-caller-identity`)".into()
            }
            CallFailure::AccessDenied { .. } => format!(
                "the credentials lack permission for {}: attach a policy that allows it",
                call.operation
            ),
            CallFailure::Throttled => {
                "AWS kept throttling after retries: wait a minute and run again (AWS_MAX_ATTEMPTS raises the retries)".into()
            }
            CallFailure::Timeout => {
                "check the network and --endpoint-url / AWS_ENDPOINT_URL, or raise --timeout".into()
            }
            CallFailure::Connect => {
                "check --endpoint-url / AWS_ENDPOINT_URL and the network; run with -v for details".into()
            }
            CallFailure::Unexpected => {
                "is --endpoint-url / AWS_ENDPOINT_URL an AWS API? run again with -v for the full error".into()
            }
            CallFailure::Service { .. } | CallFailure::Other => {
                return Some("run again with -v for the full error".into())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_by_shape() {
        for ok in [
            "us-east-1",
            "ca-central-1",
            "ap-southeast-4",
            "us-gov-west-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "bad",
            "us-east",
            "us-east-",
            "US-EAST-1",
            "usa-east-1",
            "us-east-1a",
            "us--1",
            "us-foo-east-1",
            "us-east-1\n",
        ] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn endpoints_are_http_urls_with_a_host() {
        assert!(check_endpoint("--endpoint-url", "http://127.0.0.1:4566").is_ok());
        assert!(check_endpoint("--endpoint-url", "https://xray.us-east-1.amazonaws.com").is_ok());
        for bad in ["", "not a url", "ftp://x", "file:///tmp", "http://"] {
            assert!(check_endpoint("--endpoint-url", bad).is_err(), "{bad:?}");
        }
    }
}

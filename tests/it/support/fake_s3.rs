//! A fake S3-compatible object store (the subset object_store's S3 client
//! uses for our blobs), on 127.0.0.1 with a free port, path-style
//! (`/{bucket}/{key}`):
//! PutObject, GetObject, HeadObject, DeleteObject and ListObjectsV2 (prefix,
//! delimiter, max-keys, continuation token). Like S3 it answers with XML
//! errors (`NoSuchBucket`, `NoSuchKey`, `InvalidAccessKeyId`,
//! `SignatureDoesNotMatch`, `XAmzContentSHA256Mismatch`).
//!
//! Every request must carry an AWS Signature V4 `Authorization` header for
//! the fake's access key, and the signature is verified the way S3 does
//! (canonical request, string to sign, HMAC-SHA256 key derivation), with the
//! signed payload hash checked against the body. Tests can queue faults
//! (a status such as 500 or 503, or a slow answer) for the next requests of a
//! method, or make a method fail until told otherwise.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

pub const ACCESS_KEY: &str = "AKIDREDEEMDESKFAKE01";
pub const SECRET_KEY: &str = "fake/secret+key-for-the-s3-fake-only";
pub const REGION: &str = "us-east-1";
pub const BUCKET: &str = "invoices";

/// What the fake does instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An S3 error with this status: 500 `InternalError`, 503 `SlowDown`,
    /// anything else `ServiceUnavailable`.
    Status(u16),
    /// Answer normally, but only after this long.
    Slow(Duration),
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The access key of its signature, when it had one.
    pub access_key: Option<String>,
    /// The status the fake answered with.
    pub status: u16,
}

struct Object {
    bytes: Vec<u8>,
    etag: String,
    modified: DateTime<Utc>,
}

#[derive(Default)]
struct Inner {
    buckets: HashMap<String, BTreeMap<String, Object>>,
    /// Faults for the next requests of a method (`None`: any method), in order.
    next: VecDeque<(Option<Method>, Fault)>,
    /// A fault for every request of a method until cleared.
    always: Option<(Option<Method>, Fault)>,
    seen: Vec<Seen>,
}

#[derive(Clone)]
pub struct FakeS3 {
    inner: Arc<Mutex<Inner>>,
    pub addr: SocketAddr,
}

impl FakeS3 {
    /// Starts the fake with one empty bucket, [`BUCKET`].
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Self {
            inner: Arc::default(),
            addr: listener.local_addr().unwrap(),
        };
        fake.create_bucket(BUCKET);
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::disable())
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The base URL (`storage.s3_endpoint`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Settings that reach this fake's `bucket` with its credentials, with
    /// short timeouts and backoff so failing tests fail fast.
    pub fn settings(&self, bucket: &str) -> redeemdesk::blobs::S3Settings {
        let mut s = redeemdesk::blobs::S3Settings::new(bucket, ACCESS_KEY, SECRET_KEY.to_owned().into());
        s.endpoint = Some(self.endpoint());
        s.region = REGION.into();
        s.allow_http = true;
        s.request_timeout = Duration::from_secs(5);
        s.connect_timeout = Duration::from_secs(1);
        s.max_retries = 3;
        s.retry_timeout = Duration::from_secs(10);
        s.backoff = Duration::from_millis(20);
        s.max_backoff = Duration::from_millis(100);
        s
    }

    pub fn create_bucket(&self, name: &str) {
        self.lock().buckets.entry(name.to_owned()).or_default();
    }

    /// The bytes stored under `key` (the object key, prefix included).
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.lock().buckets.get(bucket)?.get(key).map(|o| o.bytes.clone())
    }

    /// Every object key in `bucket`, in order.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        self.lock()
            .buckets
            .get(bucket)
            .map(|b| b.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The next `times` requests with `method` (any method: `None`) get `fault`.
    pub fn fail_next(&self, method: Option<&str>, fault: Fault, times: usize) {
        let method = method.map(|m| Method::from_bytes(m.as_bytes()).unwrap());
        let mut inner = self.lock();
        for _ in 0..times {
            inner.next.push_back((method.clone(), fault));
        }
    }

    /// Every request with `method` (any: `None`) gets `fault` until [`FakeS3::heal`].
    pub fn fail_always(&self, method: Option<&str>, fault: Fault) {
        let method = method.map(|m| Method::from_bytes(m.as_bytes()).unwrap());
        self.lock().always = Some((method, fault));
    }

    /// No more faults, queued or standing.
    pub fn heal(&self) {
        let mut inner = self.lock();
        inner.next.clear();
        inner.always = None;
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// The statuses answered to `method` requests on `path`, in order.
    pub fn statuses(&self, method: &str, path: &str) -> Vec<u16> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == method && s.path == path)
            .map(|s| s.status)
            .collect()
    }

    /// The fault for a request of `method`, if one applies; a queued one is used up.
    fn fault_for(&self, method: &Method) -> Option<Fault> {
        let mut inner = self.lock();
        let applies = |m: &Option<Method>| m.as_ref().is_none_or(|m| m == method);
        if let Some(i) = inner.next.iter().position(|(m, _)| applies(m)) {
            return inner.next.remove(i).map(|(_, f)| f);
        }
        inner.always.as_ref().filter(|(m, _)| applies(m)).map(|(_, f)| *f)
    }

    fn answer(&self, method: &Method, uri: &Uri, body: &[u8]) -> Response {
        let path = uri.path().trim_start_matches('/');
        let (bucket, key) = match path.split_once('/') {
            Some((b, k)) => (percent_decode(b), percent_decode(k)),
            None => (percent_decode(path), String::new()),
        };
        let mut inner = self.lock();
        let Some(objects) = inner.buckets.get_mut(&bucket) else {
            return s3_error(404, "NoSuchBucket", "The specified bucket does not exist");
        };
        if key.is_empty() {
            let query = query_pairs(uri.query().unwrap_or(""));
            let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            return match (method.as_str(), param("list-type"), param("delete")) {
                ("GET", Some("2"), _) => list_objects_v2(&bucket, objects, &param),
                ("POST", _, Some(_)) => delete_objects(objects, body),
                _ => s3_error(
                    501,
                    "NotImplemented",
                    "Only ListObjectsV2 and DeleteObjects on a bucket",
                ),
            };
        }
        match method.as_str() {
            "PUT" => {
                let object = Object {
                    bytes: body.to_vec(),
                    etag: format!("\"{}\"", &hex(&Sha256::digest(body))[..32]),
                    modified: Utc::now(),
                };
                let etag = object.etag.clone();
                objects.insert(key, object);
                Response::builder()
                    .status(200)
                    .header(header::ETAG, etag)
                    .body(Body::empty())
                    .unwrap()
            }
            "GET" | "HEAD" => {
                let Some(object) = objects.get(&key) else {
                    return s3_error(404, "NoSuchKey", "The specified key does not exist.");
                };
                let response = Response::builder()
                    .status(200)
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CONTENT_LENGTH, object.bytes.len())
                    .header(header::ETAG, &object.etag)
                    .header(
                        header::LAST_MODIFIED,
                        object.modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                    );
                let body = if method == Method::HEAD {
                    Body::empty()
                } else {
                    Body::from(object.bytes.clone())
                };
                response.body(body).unwrap()
            }
            "DELETE" => {
                objects.remove(&key);
                Response::builder().status(204).body(Body::empty()).unwrap()
            }
            _ => s3_error(405, "MethodNotAllowed", "The specified method is not allowed"),
        }
    }
}

/// `POST /{bucket}?delete` (what object_store's `delete` sends): the keys
/// of the `<Delete>` body removed, each reported as deleted (as S3 does, also
/// when there was no such key).
fn delete_objects(objects: &mut BTreeMap<String, Object>, body: &[u8]) -> Response {
    let body = String::from_utf8_lossy(body);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for part in body.split("<Key>").skip(1) {
        let Some((key, _)) = part.split_once("</Key>") else {
            return s3_error(400, "MalformedXML", "The XML you provided was not well-formed");
        };
        let key = xml_unescape(key);
        objects.remove(&key);
        xml.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", xml_escape(&key)));
    }
    xml.push_str("</DeleteResult>");
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(xml))
        .unwrap()
}

/// `GET /{bucket}?list-type=2`: keys in order, those past `delimiter` after
/// `prefix` rolled up into common prefixes, `max-keys` per page.
fn list_objects_v2<'a>(
    bucket: &str,
    objects: &BTreeMap<String, Object>,
    param: &dyn Fn(&str) -> Option<&'a str>,
) -> Response {
    let prefix = param("prefix").unwrap_or("");
    let delimiter = param("delimiter").filter(|d| !d.is_empty());
    let max_keys: usize = param("max-keys").and_then(|m| m.parse().ok()).unwrap_or(1000);
    let after = param("continuation-token").or(param("start-after")).unwrap_or("");
    let mut contents = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut last = String::new();
    let mut truncated = false;
    for (key, object) in objects.range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)) {
        if !key.starts_with(prefix) {
            continue;
        }
        let rolled = delimiter.and_then(|d| {
            let rest = &key[prefix.len()..];
            rest.find(d).map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        if let Some(common) = &rolled
            && prefixes.last() == Some(common)
        {
            last = key.clone();
            continue;
        }
        if contents.len() + prefixes.len() == max_keys {
            truncated = true;
            break;
        }
        match rolled {
            Some(common) => prefixes.push(common),
            None => contents.push(format!(
                "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size>\
                 <StorageClass>STANDARD</StorageClass></Contents>",
                xml_escape(key),
                object.modified.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                xml_escape(&object.etag),
                object.bytes.len()
            )),
        }
        last = key.clone();
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys>\
         <IsTruncated>{truncated}</IsTruncated>",
        xml_escape(bucket),
        xml_escape(prefix),
        contents.len() + prefixes.len()
    );
    if let Some(d) = delimiter {
        xml.push_str(&format!("<Delimiter>{}</Delimiter>", xml_escape(d)));
    }
    for c in contents {
        xml.push_str(&c);
    }
    for p in prefixes {
        xml.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            xml_escape(&p)
        ));
    }
    if truncated {
        xml.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            xml_escape(&last)
        ));
    }
    xml.push_str("</ListBucketResult>");
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(xml))
        .unwrap()
}

async fn handle(State(fake): State<FakeS3>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let access_key = credential_of(&headers).map(|(key, ..)| key);
    let response = match verify_signature(&method, &uri, &headers, &body) {
        Err((status, code, message)) => s3_error(status, code, message),
        Ok(()) => match fake.fault_for(&method) {
            Some(Fault::Status(status)) => {
                let code = match status {
                    500 => "InternalError",
                    503 => "SlowDown",
                    _ => "ServiceUnavailable",
                };
                s3_error(status, code, "Injected by the test")
            }
            Some(Fault::Slow(wait)) => {
                tokio::time::sleep(wait).await;
                fake.answer(&method, &uri, &body)
            }
            None => fake.answer(&method, &uri, &body),
        },
    };
    fake.lock().seen.push(Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        access_key,
        status: response.status().as_u16(),
    });
    response
}

/// `(access key, date, region, service)` of the `Authorization` header's credential.
fn credential_of(headers: &HeaderMap) -> Option<(String, String, String, String)> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let credential = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")?
        .split(',')
        .find_map(|part| part.trim().strip_prefix("Credential="))?;
    let mut parts = credential.split('/');
    let (key, date, region, service, terminal) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (terminal == "aws4_request" && parts.next().is_none())
        .then(|| (key.to_owned(), date.to_owned(), region.to_owned(), service.to_owned()))
}

/// An S3 error to answer: status, code, message.
type Refusal = (u16, &'static str, &'static str);

/// Checks the request's SigV4 signature as S3 does, and the signed payload hash.
fn verify_signature(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(auth) = header("authorization") else {
        return Err((403, "AccessDenied", "Anonymous access is not allowed"));
    };
    let Some((key, date, region, service)) = credential_of(headers) else {
        return Err((
            400,
            "AuthorizationHeaderMalformed",
            "Not an AWS4-HMAC-SHA256 credential",
        ));
    };
    if key != ACCESS_KEY {
        return Err((
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist",
        ));
    }
    if region != REGION || service != "s3" {
        return Err((
            400,
            "AuthorizationHeaderMalformed",
            "Wrong region or service in the credential",
        ));
    }
    let field = |name: &str| {
        auth.split(',')
            .find_map(|part| part.trim().strip_prefix(name))
            .unwrap_or("")
    };
    let signed_headers = field("SignedHeaders=");
    let signature = field("Signature=");
    let (Some(amz_date), Some(payload_hash)) = (header("x-amz-date"), header("x-amz-content-sha256")) else {
        return Err((
            400,
            "InvalidRequest",
            "x-amz-date and x-amz-content-sha256 are required",
        ));
    };
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !amz_date.starts_with(&date)
        || !["host", "x-amz-content-sha256", "x-amz-date"]
            .iter()
            .all(|h| names.contains(h))
    {
        return Err((400, "AuthorizationHeaderMalformed", "Date or signed headers do not fit"));
    }
    if payload_hash != "UNSIGNED-PAYLOAD" && payload_hash != hex(&Sha256::digest(body)) {
        return Err((
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| {
                v.to_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let mut query: Vec<(String, String)> = query_pairs(uri.query().unwrap_or(""))
        .into_iter()
        .map(|(k, v)| (strict_encode(&k), strict_encode(&v)))
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request = format!(
        "{method}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        uri.path()
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut signing_key = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), date.as_bytes());
    for part in [region.as_str(), service.as_str(), "aws4_request"] {
        signing_key = hmac(&signing_key, part.as_bytes());
    }
    if hex(&hmac(&signing_key, to_sign.as_bytes())) != signature {
        return Err((
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    Ok(())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// AWS's URI encoding: everything but `A-Z a-z 0-9 - . _ ~` as `%XX`.
fn strict_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex_digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2]))
        {
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string's pairs, decoded as forms are (`+` is a space).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn s3_error(status: u16, code: &str, message: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>\
         <RequestId>FAKE</RequestId></Error>",
        xml_escape(message)
    );
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(xml))
        .unwrap()
}
